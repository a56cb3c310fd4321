// Microsoft Entra ID as far as Lumen sees it: a JWKS endpoint on loopback and access tokens signed
// with its key, carrying the claims Entra puts in v2.0 tokens (tid, oid, iss of the tenant, aud).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";

export interface FakeEntra {
  /** The JWKS URL to give the server (LUMEN_AUTH_JWKS_URL). */
  jwksUrl: string;
  /** "Bearer <token>" for a user (oid) of a tenant (tid). */
  bearer(claims: { tid: string; oid: string; aud: string }): Promise<string>;
  close(): void;
}

export async function startFakeEntra(): Promise<FakeEntra> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwks: { keys: JWK[] } = {
    keys: [{ ...(await exportJWK(publicKey)), kid: "key-1", alg: "RS256", use: "sig" }],
  };
  const server: Server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    jwksUrl: `${authority}/common/discovery/v2.0/keys`,
    async bearer({ tid, oid, aud }) {
      const token = await new SignJWT({ tid, oid, name: oid })
        .setProtectedHeader({ alg: "RS256", kid: "key-1" })
        .setIssuer(`${authority}/${tid}/v2.0`)
        .setAudience(aud)
        .setIssuedAt()
        .setExpirationTime("30m")
        .sign(privateKey);
      return `Bearer ${token}`;
    },
    close: () => server.close(),
  };
}
