// Why sign-in failed, in words a person can act on. MSAL and Office report codes; the task pane
// shows the sentence and keeps the code for the console.

/** Getting a token failed; `message` is the reason to show. */
export class SignInError extends Error {
  override name = "SignInError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const NETWORK =
  "Couldn't reach Microsoft sign-in (login.microsoftonline.com). Check the network connection.";
const TIMED_OUT =
  "Sign-in didn't finish in time. If the sign-in window showed an error, this computer may not reach login.microsoftonline.com.";
const BLOCKED =
  "The browser blocked the sign-in window. Allow pop-ups for this site, then try again.";

/** MSAL's errorCode (or subError) → reason. */
const MSAL_REASONS: Record<string, string> = {
  empty_window_error: BLOCKED,
  popup_window_error: BLOCKED,
  block_nested_popups: BLOCKED,
  user_cancelled: "The sign-in window was closed before sign-in finished.",
  redirect_bridge_timeout: TIMED_OUT,
  timed_out: TIMED_OUT,
  no_network_connectivity: NETWORK,
  post_request_failed: NETWORK,
  get_request_failed: NETWORK,
  endpoints_resolution_error: NETWORK,
  interaction_in_progress: "Another sign-in is already under way. Finish it, then try again.",
  consent_required: "Lumen needs your consent (or your administrator's) to sign you in.",
};

/** Office's SSO error codes (OfficeRuntime.auth.getAccessToken) → reason. */
const OFFICE_REASONS: Record<number, string> = {
  13001:
    "You're not signed in to Office. Sign in with your work or school account, then try again.",
  13002: "Sign-in was cancelled.",
  13003:
    "Office is signed in with a kind of account Lumen can't use. Sign in with a work or school account.",
  13006: "Office had a problem signing you in. Restart Office, then try again.",
  13007:
    "Office couldn't get a sign-in token for Lumen. Ask your administrator to check Lumen's app registration.",
  13008: "Another sign-in is already under way. Finish it, then try again.",
  13012: "This version of Office can't sign add-ins in.",
  13013: "Sign-in was asked for too often. Wait a moment, then try again.",
};

interface MsalLike {
  errorCode?: string;
  subError?: string;
  errorMessage?: string;
}

/** The first sentence of an Entra (AADSTS…) message, without its trace and correlation ids. */
function serverMessage(message: string): string {
  return message.split(/\r?\n|\s+Trace ID:/)[0].trim();
}

export function signInReason(error: unknown): string {
  if (error instanceof SignInError) return error.message;
  const office = error as { code?: unknown; message?: string };
  if (typeof office?.code === "number" && office.code >= 13000 && office.code < 14000) {
    return OFFICE_REASONS[office.code] ?? `Office couldn't sign you in (error ${office.code}).`;
  }
  const msal = error as MsalLike;
  const known =
    (msal?.subError && MSAL_REASONS[msal.subError]) ||
    (msal?.errorCode && MSAL_REASONS[msal.errorCode]);
  if (known) return known;
  if (msal?.errorMessage && /AADSTS\d+/.test(msal.errorMessage))
    return serverMessage(msal.errorMessage);
  if (error instanceof Error && error.message) return error.message;
  return "Sign-in failed for an unknown reason.";
}

/** Wraps whatever a token source threw as a SignInError with a reason to show. */
export function toSignInError(error: unknown): SignInError {
  return error instanceof SignInError
    ? error
    : new SignInError(signInReason(error), { cause: error });
}
