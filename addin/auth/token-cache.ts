// Keeps one access token until shortly before it expires, so API calls don't each ask MSAL or
// Office; concurrent callers share a single acquisition.

export interface AccessToken {
  token: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/**
 * Gets a token from the identity provider (MSAL or Office SSO). `forceRefresh` asks it to skip its
 * own cache: the server refused the token that cache would return.
 */
export type TokenSource = (options: { forceRefresh: boolean }) => Promise<AccessToken>;

/** Renew this long before expiry, so a token never lapses between the check and the server. */
export const RENEW_MARGIN_MS = 5 * 60_000;

/** The `exp` claim of a JWT in milliseconds, or undefined when it has none or is not a JWT. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split(".")[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    const exp = JSON.parse(json).exp;
    return typeof exp === "number" ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

export class TokenCache {
  private current?: { token: string; renewAt: number };
  private pending?: Promise<string>;
  private forceRefresh = false;

  constructor(
    private readonly source: TokenSource,
    private readonly now: () => number = Date.now
  ) {}

  get(): Promise<string> {
    if (this.current && this.now() < this.current.renewAt)
      return Promise.resolve(this.current.token);
    if (!this.pending) {
      const pending: Promise<string> = this.source({ forceRefresh: this.forceRefresh })
        .then(({ token, expiresAt }) => {
          // A clear() while this was under way means the caller no longer wants it kept.
          if (this.pending === pending) {
            this.forceRefresh = false;
            // Short-lived tokens renew at half their life rather than RENEW_MARGIN_MS before the end.
            const margin = Math.min(RENEW_MARGIN_MS, (expiresAt - this.now()) / 2);
            this.current = { token, renewAt: expiresAt - margin };
          }
          return token;
        })
        .finally(() => {
          if (this.pending === pending) this.pending = undefined;
        });
      this.pending = pending;
    }
    return this.pending;
  }

  /** Forgets the token (the server refused it, or the user asked to sign in again). */
  clear(): void {
    this.current = undefined;
    this.pending = undefined;
    this.forceRefresh = true;
  }
}
