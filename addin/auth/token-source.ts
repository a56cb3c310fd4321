// Which identity provider gets the token, by where the page runs: nested app authentication in
// Office (Office SSO where NAA is missing or fails), MSAL's browser flow outside Office.
import { SignInError, signInReason } from "./errors";
import { msalTokenSource } from "./msal";
import { officeSsoTokenSource } from "./office-sso";
import type { TokenSource } from "./token-cache";

export interface SignInSettings {
  /** The add-in's app registration (the policy's auth.clientId). */
  clientId: string | null;
  /** The API's Application ID URI (the policy's auth.audience). */
  audience: string;
}

export interface Environment {
  inOffice: boolean;
  /** Office supports the NestedAppAuth 1.1 requirement set. */
  nestedAppAuth: boolean;
  redirectUri: string;
}

/** The delegated scope the app registration exposes (docs/ADMIN.md). */
export function scopeFor(audience: string): string {
  return `${audience.replace(/\/+$/, "")}/access_as_user`;
}

export function nestedAppAuthSupported(): boolean {
  try {
    return Office.context.requirements.isSetSupported("NestedAppAuth", "1.1");
  } catch {
    return false;
  }
}

/** Tries `primary`, then `fallback`, unless the person cancelled the first sign-in themselves. */
export function withFallback(primary: TokenSource, fallback: TokenSource): TokenSource {
  return async (options) => {
    try {
      return await primary(options);
    } catch (error) {
      const code = (error as { errorCode?: string })?.errorCode;
      if (code === "user_cancelled") throw error;
      console.warn(
        `Nested app authentication failed (${signInReason(error)}); trying Office single sign-on.`,
        error
      );
      return fallback(options);
    }
  };
}

export function tokenSourceFor(settings: SignInSettings, env: Environment): TokenSource {
  const msal = settings.clientId
    ? msalTokenSource({
        clientId: settings.clientId,
        scopes: [scopeFor(settings.audience)],
        redirectUri: env.redirectUri,
      })
    : undefined;
  if (env.inOffice) {
    // Office SSO needs only the manifest's WebApplicationInfo, so it works without a client id too.
    return msal && env.nestedAppAuth
      ? withFallback(msal, officeSsoTokenSource)
      : officeSsoTokenSource;
  }
  if (msal) return msal;
  return async () => {
    throw new SignInError(
      "Sign-in isn't set up completely on the server (no client id). Ask your administrator to set LUMEN_AUTH_CLIENT_ID."
    );
  };
}
