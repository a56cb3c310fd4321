// Sign-in in the add-in, without Entra: the token cache, the session's states (signing in,
// signed in, failed, refused), the Office SSO fallback, and the reasons shown for failures.
import { afterEach, beforeEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import type { Policy } from "../../contract";
import { LumenClient } from "../../addin/api/client";
import { DEFAULT_POLICY } from "../../addin/api/policy";
import { SignInError, signInReason } from "../../addin/auth/errors";
import { isSignInResponse, signInRedirectUri } from "../../addin/auth/redirect";
import { SignInSession, type SessionDeps } from "../../addin/auth/session";
import {
  RENEW_MARGIN_MS,
  TokenCache,
  jwtExpiry,
  type AccessToken,
  type TokenSource,
} from "../../addin/auth/token-cache";
import { scopeFor, tokenSourceFor, withFallback } from "../../addin/auth/token-source";
import { apiError, json, stubFetch, type FetchStub } from "./addin-fetch-stub";

const HOUR = 3600_000;
const SIGN_IN_POLICY: Policy = {
  ...DEFAULT_POLICY,
  maxImagesPerRequest: 2,
  auth: {
    required: true,
    provider: "entra",
    clientId: "client-1",
    audience: "api://lumen.example.org/client-1",
  },
};

function jwt(claims: object): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256" })}.${part(claims)}.signature`;
}

/** A token source that counts its calls and hands out token-1, token-2, … */
function countingSource(lifetimeMs = HOUR, now = () => Date.now()) {
  const calls: { forceRefresh: boolean }[] = [];
  const source: TokenSource = async (options) => {
    calls.push(options);
    return { token: `token-${calls.length}`, expiresAt: now() + lifetimeMs };
  };
  return { source, calls };
}

describe("token cache", () => {
  it("keeps a token until shortly before it expires, then gets a new one", async () => {
    let now = 1_000_000;
    const { source, calls } = countingSource(HOUR, () => now);
    const cache = new TokenCache(source, () => now);
    assert.strictEqual(await cache.get(), "token-1");
    now += HOUR - RENEW_MARGIN_MS - 1;
    assert.strictEqual(await cache.get(), "token-1");
    now += 2;
    assert.strictEqual(await cache.get(), "token-2");
    assert.strictEqual(calls.length, 2);
  });

  it("renews short-lived tokens at half their life", async () => {
    let now = 0;
    const { source } = countingSource(60_000, () => now);
    const cache = new TokenCache(source, () => now);
    await cache.get();
    now = 29_000;
    assert.strictEqual(await cache.get(), "token-1");
    now = 31_000;
    assert.strictEqual(await cache.get(), "token-2");
  });

  it("shares one acquisition between concurrent callers", async () => {
    let release!: (token: AccessToken) => void;
    let calls = 0;
    const cache = new TokenCache(() => (calls++, new Promise((resolve) => (release = resolve))));
    const both = Promise.all([cache.get(), cache.get()]);
    release({ token: "shared", expiresAt: Date.now() + HOUR });
    expect(await both).toStrictEqual(["shared", "shared"]);
    assert.strictEqual(calls, 1);
  });

  it("after clear() asks the source to skip its own cache, once", async () => {
    const { source, calls } = countingSource();
    const cache = new TokenCache(source);
    await cache.get();
    cache.clear();
    assert.strictEqual(await cache.get(), "token-2");
    cache.clear();
    await cache.get();
    expect(calls).toStrictEqual([
      { forceRefresh: false },
      { forceRefresh: true },
      { forceRefresh: true },
    ]);
  });

  it("does not keep a failure: the next call tries again", async () => {
    let fail = true;
    const cache = new TokenCache(async () => {
      if (fail) throw new Error("no network");
      return { token: "ok", expiresAt: Date.now() + HOUR };
    });
    await assert.rejects(cache.get(), /no network/);
    fail = false;
    assert.strictEqual(await cache.get(), "ok");
  });

  it("reads a JWT's expiry", () => {
    assert.strictEqual(jwtExpiry(jwt({ exp: 1700000000 })), 1700000000_000);
    assert.strictEqual(jwtExpiry(jwt({})), undefined);
    assert.strictEqual(jwtExpiry("not a jwt"), undefined);
  });
});

describe("sign-in session", () => {
  let fetchStub: FetchStub | undefined;
  const warn = console.warn;
  beforeEach(() => {
    console.warn = () => {};
  }); // the session logs failures for the console
  afterEach(() => {
    fetchStub?.restore();
    console.warn = warn;
  });

  function session(deps: Partial<SessionDeps> & { policy?: Policy } = {}) {
    const { source, calls } = countingSource();
    const settings: unknown[] = [];
    const s = new SignInSession({
      loadPolicy: async () => deps.policy ?? SIGN_IN_POLICY,
      tokenSource: (auth) => (settings.push(auth), deps.tokenSource?.(auth) ?? source),
      confirm: deps.confirm,
      ...(deps.loadPolicy ? { loadPolicy: deps.loadPolicy } : {}),
    });
    const states: string[] = [];
    s.subscribe(() => states.push(s.getState().signIn.status));
    return { session: s, calls, settings, states };
  }

  it("needs no token when the policy doesn't ask for sign-in", async () => {
    const { session: s, calls } = session({ policy: DEFAULT_POLICY });
    await s.signIn();
    expect(s.getState().signIn).toStrictEqual({ status: "off" });
    assert.strictEqual(await s.getToken(), undefined);
    assert.strictEqual(calls.length, 0);
    assert.ok(s.ready);
  });

  it("signs in with the policy's client id and audience, then hands out the token", async () => {
    const { session: s, settings, states } = session();
    await s.loadPolicy();
    assert.strictEqual(s.getState().policy.maxImagesPerRequest, 2);
    await s.signIn();
    expect(states.slice(-2)).toStrictEqual(["signing-in", "signed-in"]);
    assert.strictEqual(await s.getToken(), "token-1");
    expect(settings).toStrictEqual([SIGN_IN_POLICY.auth]);
  });

  it("shows why sign-in failed, and Try again starts over", async () => {
    let attempt = 0;
    const { session: s } = session({
      tokenSource: () => async () => {
        if (++attempt === 1)
          throw Object.assign(new Error("popup"), { errorCode: "empty_window_error" });
        return { token: "after-retry", expiresAt: Date.now() + HOUR };
      },
    });
    await s.signIn();
    expect(s.getState().signIn).toStrictEqual({
      status: "failed",
      reason:
        "The browser blocked the sign-in window. Allow pop-ups for this site, then try again.",
    });
    assert.ok(!s.ready);
    await assert.rejects(
      s.getToken(),
      SignInError,
      "API calls fail with the same reason meanwhile"
    );
    await s.signIn();
    assert.strictEqual(s.getState().signIn.status, "signed-in");
    assert.strictEqual(await s.getToken(), "after-retry");
  });

  it("confirms the token with the server: a 403 for the organisation is shown as refused", async () => {
    fetchStub = stubFetch(({ url }) =>
      url.endsWith("/api/policy")
        ? json(SIGN_IN_POLICY)
        : apiError(403, "forbidden", "your organisation is not allowed to use this service")
    );
    let client!: LumenClient;
    const { source } = countingSource();
    const s = new SignInSession({
      loadPolicy: () => client.policy(),
      tokenSource: () => source,
      confirm: () => client.models(),
    });
    client = new LumenClient("", s);
    await s.signIn();
    expect(s.getState().signIn).toStrictEqual({
      status: "refused",
      httpStatus: 403,
      reason: "your organisation is not allowed to use this service",
    });
    expect(fetchStub.requests.map((r) => `${r.url} ${r.authorization}`)).toStrictEqual([
      "/api/policy null",
      "/api/models Bearer token-1",
    ]);
  });

  it("keeps the defaults when the policy can't be read, and reads it again after a 401", async () => {
    let reachable = false;
    const { session: s } = session({
      loadPolicy: async () => {
        if (!reachable) throw new TypeError("fetch failed");
        return SIGN_IN_POLICY;
      },
    });
    await s.signIn();
    assert.strictEqual(s.getState().signIn.status, "off");
    assert.strictEqual(s.getState().policy, DEFAULT_POLICY);
    s.refused({ status: 401, message: "sign-in required: no bearer token" } as never);
    assert.strictEqual(s.getState().signIn.status, "refused");
    reachable = true;
    await s.signIn();
    assert.strictEqual(s.getState().signIn.status, "signed-in");
    assert.strictEqual(await s.getToken(), "token-1");
  });
});

describe("where the token comes from", () => {
  const token = (t: string) => ({ token: t, expiresAt: Date.now() + HOUR });

  it("falls back to Office SSO when nested app authentication fails", async () => {
    const source = withFallback(
      async () => {
        throw Object.assign(new Error("NAA unavailable"), {
          errorCode: "nested_app_auth_bridge_disabled",
        });
      },
      async () => token("sso")
    );
    const warn = console.warn;
    console.warn = () => {}; // the fallback logs why NAA failed
    try {
      assert.strictEqual((await source({ forceRefresh: false })).token, "sso");
    } finally {
      console.warn = warn;
    }
  });

  it("does not fall back when the person closed the sign-in window", async () => {
    let fallbackUsed = false;
    const source = withFallback(
      async () => {
        throw Object.assign(new Error("cancelled"), { errorCode: "user_cancelled" });
      },
      async () => ((fallbackUsed = true), token("sso"))
    );
    await assert.rejects(source({ forceRefresh: false }), /cancelled/);
    assert.strictEqual(fallbackUsed, false);
  });

  it("asks for the access_as_user scope of the API's Application ID URI", () => {
    assert.strictEqual(
      scopeFor("api://images.example.org/abc"),
      "api://images.example.org/abc/access_as_user"
    );
    assert.strictEqual(
      scopeFor("api://images.example.org/abc/"),
      "api://images.example.org/abc/access_as_user"
    );
  });

  it("outside Office without a client id, says sign-in isn't set up on the server", async () => {
    const source = tokenSourceFor(
      { clientId: null, audience: "api://x/y" },
      { inOffice: false, nestedAppAuth: false, redirectUri: "https://x/taskpane.html" }
    );
    await assert.rejects(
      source({ forceRefresh: false }),
      (e) => e instanceof SignInError && /LUMEN_AUTH_CLIENT_ID/.test(e.message)
    );
  });

  it("returns every popup sign-in to taskpane.html, which recognises Entra's answer", () => {
    assert.strictEqual(
      signInRedirectUri("https://images.example.org/creator.html?x=1"),
      "https://images.example.org/taskpane.html"
    );
    assert.ok(isSignInResponse("https://h/taskpane.html#code=abc&client_info=x&state=s"));
    assert.ok(
      isSignInResponse("https://h/taskpane.html#error=access_denied&error_description=no&state=s")
    );
    assert.ok(!isSignInResponse("https://h/taskpane.html"));
    assert.ok(!isSignInResponse("https://h/taskpane.html#state=s"));
  });
});

describe("sign-in failure reasons", () => {
  it("explains MSAL's and Office's error codes in words", () => {
    assert.match(signInReason({ errorCode: "user_cancelled" }), /closed before sign-in finished/);
    assert.match(
      signInReason({ errorCode: "timed_out", subError: "redirect_bridge_timeout" }),
      /didn't finish in time/
    );
    assert.match(
      signInReason({ errorCode: "no_network_connectivity" }),
      /Couldn't reach Microsoft sign-in/
    );
    assert.match(
      signInReason({ code: 13001, name: "SSO", message: "x" }),
      /not signed in to Office/
    );
    assert.match(signInReason({ code: 13999 }), /error 13999/);
  });

  it("shows Entra's own sentence without trace and correlation ids", () => {
    const message =
      "AADSTS50020: User account from identity provider does not exist in tenant. Trace ID: 123 Correlation ID: 456 Timestamp: 2025";
    assert.strictEqual(
      signInReason({ errorCode: "invalid_grant", errorMessage: message }),
      "AADSTS50020: User account from identity provider does not exist in tenant."
    );
  });
});
