// Entra ID tokens through MSAL. Inside Office that supports nested app authentication (NAA) the
// host signs the user in with the account Office already has; elsewhere (the Image Creator in a
// browser) createNestablePublicClientApplication falls back to MSAL's usual popup flow.
import {
  createNestablePublicClientApplication,
  InteractionRequiredAuthError,
  type AuthenticationResult,
  type IPublicClientApplication,
} from "@azure/msal-browser";
import { jwtExpiry, type TokenSource } from "./token-cache";

/** Work and school accounts of any tenant; the server decides which tenants it accepts. */
export const AUTHORITY = "https://login.microsoftonline.com/organizations";

export interface MsalOptions {
  clientId: string;
  scopes: string[];
  /** Where the popup flow returns to (a page that hands the response back, see redirect.ts). */
  redirectUri: string;
}

function needsInteraction(error: unknown): boolean {
  // No cached account yet is the usual first-run case in a browser: sign in interactively.
  return (
    error instanceof InteractionRequiredAuthError ||
    (error as { errorCode?: string })?.errorCode === "no_account_error"
  );
}

export function msalTokenSource({ clientId, scopes, redirectUri }: MsalOptions): TokenSource {
  let app: Promise<IPublicClientApplication> | undefined;
  const application = () =>
    (app ??= createNestablePublicClientApplication({
      auth: { clientId, authority: AUTHORITY, redirectUri },
    }).catch((error) => {
      app = undefined; // let "Try again" start over
      throw error;
    }));

  return async ({ forceRefresh }) => {
    const pca = await application();
    const account = pca.getActiveAccount() ?? pca.getAllAccounts()[0];
    let result: AuthenticationResult;
    try {
      result = await pca.acquireTokenSilent({ scopes, account, forceRefresh });
    } catch (error) {
      if (!needsInteraction(error)) throw error;
      result = await pca.acquireTokenPopup({ scopes });
    }
    if (result.account) pca.setActiveAccount(result.account);
    const expiresAt =
      result.expiresOn?.getTime() ?? jwtExpiry(result.accessToken) ?? Date.now() + 5 * 60_000;
    return { token: result.accessToken, expiresAt };
  };
}
