// Wires the API client to the sign-in session: the session is the client's token provider, and
// reads the policy and confirms its token through the client.
import { LumenClient } from "../api/client";
import { signInRedirectUri } from "../auth/redirect";
import { SignInSession } from "../auth/session";
import { nestedAppAuthSupported, tokenSourceFor } from "../auth/token-source";

export function connect({ baseUrl = "", inOffice }: { baseUrl?: string; inOffice: boolean }): {
  client: LumenClient;
  session: SignInSession;
} {
  const session: SignInSession = new SignInSession({
    loadPolicy: () => client.policy(),
    tokenSource: (settings) =>
      tokenSourceFor(settings, {
        inOffice,
        nestedAppAuth: inOffice && nestedAppAuthSupported(),
        redirectUri: signInRedirectUri(),
      }),
    confirm: () => client.models(),
  });
  const client: LumenClient = new LumenClient(baseUrl, session);
  return { client, session };
}
