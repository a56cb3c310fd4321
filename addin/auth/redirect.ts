// The popup sign-in returns to taskpane.html with Entra's answer in the URL. MSAL 5 expects that
// page to hand the answer to the page that opened the popup (over a BroadcastChannel) instead of
// starting the app inside the popup.
import { broadcastResponseToMainFrame } from "@azure/msal-browser/redirect-bridge";

/** The page every popup sign-in returns to: one redirect URI to register, for both pages. */
export function signInRedirectUri(base: string = location.href): string {
  return new URL("taskpane.html", base).href;
}

/** True when the URL carries an authorization response (MSAL's default is the fragment). */
export function isSignInResponse(url: string): boolean {
  const { hash, search } = new URL(url);
  return [hash.slice(1), search.slice(1)].some((part) => {
    const params = new URLSearchParams(part);
    return params.has("state") && (params.has("code") || params.has("error"));
  });
}

/** Hands a popup's sign-in response to its opener; false when this is an ordinary page load. */
export async function completeSignInPopup(): Promise<boolean> {
  if (!isSignInResponse(location.href)) return false;
  await broadcastResponseToMainFrame();
  return true;
}
