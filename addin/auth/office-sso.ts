// Office single sign-on: the fallback where nested app authentication is unavailable or fails.
// Office gets a token for the add-in's own API (the manifest's WebApplicationInfo), prompting for
// sign-in or consent when it has to.
import { jwtExpiry, type TokenSource } from "./token-cache";

interface OfficeAuth {
  getAccessToken(options?: {
    allowSignInPrompt?: boolean;
    allowConsentPrompt?: boolean;
  }): Promise<string>;
}

/** OfficeRuntime.auth where office.js provides it, else its alias Office.auth. */
function officeAuth(): OfficeAuth | undefined {
  const runtime = (globalThis as { OfficeRuntime?: { auth?: OfficeAuth } }).OfficeRuntime;
  if (runtime?.auth) return runtime.auth;
  return typeof Office !== "undefined" ? Office.auth : undefined;
}

export function officeSsoAvailable(): boolean {
  return !!officeAuth();
}

export const officeSsoTokenSource: TokenSource = async () => {
  const auth = officeAuth();
  if (!auth) throw new Error("Office sign-in is not available here.");
  const token = await auth.getAccessToken({ allowSignInPrompt: true, allowConsentPrompt: true });
  // Office caches the token itself; without an exp claim assume the usual hour less a margin.
  return { token, expiresAt: jwtExpiry(token) ?? Date.now() + 50 * 60_000 };
};
