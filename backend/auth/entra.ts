// Validation of Microsoft Entra ID access tokens with jose: signature against the tenant-independent
// JWKS (cached, refetched when a token names an unknown key), issuer of the token's own tenant,
// audience, expiry and not-before with a small clock skew, and the tenant allow-list.
import { createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload } from "jose";

export interface Identity {
  /** Object id of the user (oid), stable across apps; sub when oid is absent. */
  userId: string;
  tenantId: string;
  name?: string;
}

export class AuthError extends Error {
  override name = "AuthError";
  constructor(
    readonly status: 401 | 403,
    message: string
  ) {
    super(message);
  }
}

export interface EntraOptions {
  audience: string[];
  tenants: string[];
  jwksUrl: string;
  clockToleranceSeconds?: number;
}

export type TokenVerifier = (token: string) => Promise<Identity>;

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return "token has expired";
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === "nbf") return "token is not valid yet";
    return `token ${e.claim} is not accepted`;
  }
  if (e instanceof errors.JWKSNoMatchingKey) return "token is signed with an unknown key";
  if (e instanceof errors.JWSSignatureVerificationFailed) return "token signature is invalid";
  if (e instanceof errors.JOSEAlgNotAllowed || e instanceof errors.JOSENotSupported)
    return "token algorithm is not accepted";
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return "token is malformed";
  return "token could not be verified";
}

export function createEntraVerifier(options: EntraOptions): TokenVerifier {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), {
    cooldownDuration: 30_000,
    cacheMaxAge: 6 * 3600_000,
  });
  // Sovereign clouds (and tests) serve keys and tokens from another authority host.
  const authority = new URL(options.jwksUrl).origin;
  const tenants = new Set(options.tenants.map((t) => t.toLowerCase()));

  return async (token) => {
    let claims: JWTPayload;
    try {
      claims = decodeJwt(token);
    } catch {
      throw new AuthError(401, "token is malformed");
    }
    const tid = typeof claims.tid === "string" ? claims.tid.toLowerCase() : undefined;
    if (!tid) throw new AuthError(401, "token has no tenant (tid) claim");
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: ["RS256"],
        audience: options.audience,
        issuer: [`${authority}/${tid}/v2.0`, `https://sts.windows.net/${tid}/`],
        clockTolerance: options.clockToleranceSeconds ?? 60,
        requiredClaims: ["exp"],
      }));
    } catch (e) {
      throw new AuthError(401, reasonOf(e));
    }
    if (!tenants.has(tid))
      throw new AuthError(403, "your organisation is not allowed to use this service");
    const userId = String(payload.oid ?? payload.sub ?? "");
    if (!userId) throw new AuthError(401, "token has no user (oid or sub) claim");
    const name = (payload.name ?? payload.preferred_username) as string | undefined;
    return { userId, tenantId: tid, name };
  };
}
