// Microsoft Entra ID as the browser tests see it. login.microsoftonline.com can't be reached here,
// so Playwright answers for it: either it stays unreachable (the connection is refused, as on a
// machine without internet), or it signs a user in: /authorize redirects back to the add-in with a
// code, /token answers with an access token signed by a key whose JWKS is served on loopback for
// the Lumen server to check (LUMEN_AUTH_JWKS_URL).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import type { BrowserContext, Route } from "playwright-core";

export type EntraMode = "unreachable" | { tenant: string };

export interface FakeEntra {
  jwksUrl: string;
  /** Switch a context's Entra between unreachable and signing in a user of a tenant. */
  attach(context: BrowserContext, mode: EntraMode): Promise<void>;
  close(): void;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

export async function startFakeEntra({
  clientId,
  audience,
}: {
  clientId: string;
  audience: string;
}): Promise<FakeEntra> {
  const { privateKey, publicKey } = await generateKeyPair("RS256");
  const jwks = JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" }],
  });
  const server: Server = createServer((_req, res) => {
    res.setHeader("content-type", "application/json");
    res.end(jwks);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // The server accepts issuers on the JWKS URL's origin (sovereign clouds, tests).
  const issuerHost = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (claims: Record<string, unknown>, issuer: string, aud: string) =>
    new SignJWT({
      oid: "user-1",
      name: "Ada Lovelace",
      preferred_username: "ada@example.org",
      ...claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setIssuer(issuer)
      .setAudience(aud)
      .setSubject("user-1")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(privateKey);

  async function answer(route: Route, tenant: string): Promise<void> {
    const request = route.request();
    const url = new URL(request.url());
    const clientInfo = base64url({ uid: "user-1", utid: tenant });
    if (url.pathname.endsWith("/oauth2/v2.0/authorize")) {
      // The nonce travels in the code, so /token can put it in the ID token as Entra does.
      const code = base64url({ nonce: url.searchParams.get("nonce") });
      const back = `${url.searchParams.get("redirect_uri")}#code=${code}&client_info=${clientInfo}&state=${encodeURIComponent(url.searchParams.get("state") ?? "")}`;
      return route.fulfill({ status: 302, headers: { location: back } });
    }
    if (url.pathname.endsWith("/oauth2/v2.0/token") && request.method() === "POST") {
      const code = new URLSearchParams(request.postData() ?? "").get("code") ?? "";
      const { nonce } = JSON.parse(Buffer.from(code, "base64url").toString());
      const body = {
        token_type: "Bearer",
        scope: `${audience}/access_as_user openid profile`,
        expires_in: 3600,
        ext_expires_in: 3600,
        access_token: await sign(
          { tid: tenant, scp: "access_as_user" },
          `${issuerHost}/${tenant}/v2.0`,
          audience
        ),
        id_token: await sign(
          { tid: tenant, nonce },
          `https://login.microsoftonline.com/${tenant}/v2.0`,
          clientId
        ),
        client_info: clientInfo,
      };
      return route.fulfill({
        status: 200,
        headers: { "content-type": "application/json", "access-control-allow-origin": "*" },
        body: JSON.stringify(body),
      });
    }
    return route.abort("connectionrefused");
  }

  return {
    jwksUrl: `${issuerHost}/common/discovery/v2.0/keys`,
    async attach(context, mode) {
      await context.unroute("https://login.microsoftonline.com/**");
      await context.route("https://login.microsoftonline.com/**", (route) =>
        mode === "unreachable" ? route.abort("internetdisconnected") : answer(route, mode.tenant)
      );
    },
    close: () => server.close(),
  };
}
