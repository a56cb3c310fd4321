// Sign-in with Microsoft Entra ID tokens, against keys minted here and a JWKS served on loopback.
import { strict as assert } from "node:assert";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, it } from "@jest/globals";
import { exportJWK, generateKeyPair, SignJWT, type JWK } from "jose";
import { startTestServer, type TestServer } from "../helpers/server";

const TENANT = "11111111-1111-4111-8111-111111111111";
const OTHER_TENANT = "22222222-2222-4222-8222-222222222222";
const AUDIENCE = "api://lumen.example.org/5b7e2c1a";

describe("sign-in with Entra ID", () => {
  let jwksServer: Server;
  let authority: string;
  let server: TestServer;
  let key: CryptoKey;
  let otherKey: CryptoKey;
  const jwks: { keys: JWK[] } = { keys: [] };

  beforeAll(async () => {
    const pair = await generateKeyPair("RS256");
    key = pair.privateKey;
    jwks.keys.push({
      ...(await exportJWK(pair.publicKey)),
      kid: "key-1",
      alg: "RS256",
      use: "sig",
    });
    ({ privateKey: otherKey } = await generateKeyPair("RS256"));
    jwksServer = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, "127.0.0.1", resolve));
    authority = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}`;
    server = await startTestServer({
      auth: "entra",
      authAudience: AUDIENCE,
      authTenants: TENANT,
      authJwksUrl: `${authority}/common/discovery/v2.0/keys`,
      rateLimitMax: 2,
    });
  });
  afterAll(async () => {
    await server.stop();
    jwksServer.close();
  });

  interface TokenOptions {
    tid?: string;
    aud?: string;
    oid?: string;
    exp?: number | string;
    nbf?: number | string;
    kid?: string;
    signingKey?: CryptoKey;
  }
  const token = (o: TokenOptions = {}) => {
    const tid = o.tid ?? TENANT;
    const jwt = new SignJWT({ tid, oid: o.oid ?? "user-1", name: "Ada" })
      .setProtectedHeader({ alg: "RS256", kid: o.kid ?? "key-1" })
      .setIssuer(`${authority}/${tid}/v2.0`)
      .setAudience(o.aud ?? AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(o.exp ?? "10m");
    if (o.nbf !== undefined) jwt.setNotBefore(o.nbf);
    return jwt.sign(o.signingKey ?? key);
  };
  const generate = (authorization?: string) =>
    server.api("/api/generations", {
      method: "POST",
      headers: authorization ? { authorization } : {},
      json: { prompt: "a lake", width: 64, height: 64, steps: 2 },
    });
  const count = async () => {
    const res = await server.api("/api/generations?limit=100", {
      headers: { authorization: `Bearer ${await token({ oid: "counter" })}` },
    });
    return (await res.json()).items.length;
  };

  it("accepts a valid token", async () => {
    const res = await generate(`Bearer ${await token()}`);
    assert.equal(res.status, 202, await res.clone().text());
  });

  it("keeps /api/policy public and says sign-in is required", async () => {
    const res = await server.api("/api/policy");
    assert.equal(res.status, 200);
    assert.equal((await res.json()).auth.required, true);
  });

  const unsigned = () => {
    const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    return `${b64({ alg: "none", typ: "JWT" })}.${b64({ tid: TENANT, oid: "x", aud: AUDIENCE, iss: `${authority}/${TENANT}/v2.0`, exp: now + 600 })}.`;
  };
  const refused: Array<[string, () => Promise<string | undefined>, number, RegExp]> = [
    ["no Authorization header", async () => undefined, 401, /no bearer token/],
    ["a malformed header", async () => "Basic dXNlcjpwYXNz", 401, /must be 'Bearer <token>'/],
    ["a token that is not a JWT", async () => "Bearer not-a-jwt", 401, /malformed/],
    [
      "the wrong audience",
      async () => `Bearer ${await token({ aud: "api://someone-else" })}`,
      401,
      /aud is not accepted/,
    ],
    [
      "an expired token",
      async () => `Bearer ${await token({ exp: Math.floor(Date.now() / 1000) - 3600 })}`,
      401,
      /expired/,
    ],
    [
      "a token not valid yet",
      async () => `Bearer ${await token({ nbf: Math.floor(Date.now() / 1000) + 3600 })}`,
      401,
      /not valid yet/,
    ],
    [
      "a bad signature",
      async () => `Bearer ${await token({ signingKey: otherKey })}`,
      401,
      /signature is invalid/,
    ],
    [
      "an unknown kid",
      async () => `Bearer ${await token({ kid: "key-unknown" })}`,
      401,
      /unknown key/,
    ],
    [
      "alg none",
      async () => `Bearer ${unsigned()}`,
      401,
      /algorithm is not accepted|could not be verified/,
    ],
    [
      "a tenant that is not allowed",
      async () => `Bearer ${await token({ tid: OTHER_TENANT })}`,
      403,
      /organisation is not allowed/,
    ],
  ];
  for (const [what, header, status, message] of refused) {
    it(`refuses ${what} with ${status}, generating nothing`, async () => {
      const before = await count();
      const res = await generate(await header());
      assert.equal(res.status, status);
      const body = await res.json();
      assert.equal(body.error.code, status === 401 ? "unauthorized" : "tenant_not_allowed");
      assert.match(body.error.message, message);
      if (status === 401) assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      assert.equal(await count(), before);
    });
  }

  it("guards the OpenAI route and images too", async () => {
    assert.equal(
      (await server.api("/v1/images/generations", { method: "POST", json: { prompt: "x" } }))
        .status,
      401
    );
    assert.equal((await server.api("/api/images/anything.png")).status, 401);
    assert.equal((await server.api("/api/models")).status, 401);
  });

  it("rate-limits per signed-in user, not per address", async () => {
    const a = `Bearer ${await token({ oid: "user-a" })}`;
    const b = `Bearer ${await token({ oid: "user-b" })}`;
    assert.equal((await generate(a)).status, 202);
    assert.equal((await generate(a)).status, 202);
    assert.equal((await generate(a)).status, 429);
    assert.equal((await generate(b)).status, 202);
  });
});
