// Sign-in as the person sees it: signing in…, why it failed, or why the server refused the account,
// each with Try again. One MessageBar whose content changes, so focus stays on Try again while the
// next attempt runs; Fluent's MessageBar announces errors to screen readers.
import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
} from "@fluentui/react-components";
import { ArrowClockwise20Regular } from "@fluentui/react-icons";
import { useEffect, useRef, useState } from "react";
import type { SignInState } from "../../auth/session";
import { useLumen, useSession } from "../context";

/** The id Generate points at (aria-describedby) while it waits for sign-in. */
export const SIGN_IN_BANNER_ID = "lumen-sign-in";

function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed
    ? trimmed[0].toUpperCase() + trimmed.slice(1).replace(/([^.!?])$/, "$1.")
    : trimmed;
}

function describe(
  state: SignInState
):
  | { intent: "info" | "error" | "warning"; title: string; body: string; testId: string }
  | undefined {
  switch (state.status) {
    case "off":
    case "signed-in":
      return undefined;
    case "signing-in":
      return {
        intent: "info",
        title: "Signing in…",
        body: "Lumen is signing you in with your work account.",
        testId: "signin-progress",
      };
    case "failed":
      return {
        intent: "error",
        title: "Sign-in failed",
        body: sentence(state.reason),
        testId: "signin-failed",
      };
    case "refused":
      return state.httpStatus === 403
        ? {
            intent: "error",
            title: "Your organisation hasn't allowed this account",
            body: "This Lumen server accepts only the organisations its administrator has allowed. Sign in with another work account, or ask your administrator to add your organisation.",
            testId: "signin-forbidden",
          }
        : {
            intent: "warning",
            title: "Lumen didn't accept your sign-in",
            body: `${sentence(state.reason)} Try signing in again.`,
            testId: "signin-refused",
          };
  }
}

export function SignInBanner() {
  const { session } = useLumen();
  const { signIn } = useSession();
  const [retried, setRetried] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const shown = describe(signIn);

  // A refusal can come while the person works further down the pane: bring the reason into view.
  useEffect(() => {
    if (signIn.status === "failed" || signIn.status === "refused")
      ref.current?.scrollIntoView?.({ block: "nearest" });
  }, [signIn.status]);

  if (!shown) return null;
  const busy = signIn.status === "signing-in";
  return (
    <MessageBar
      ref={ref}
      id={SIGN_IN_BANNER_ID}
      intent={shown.intent}
      layout="multiline"
      data-testid={shown.testId}
    >
      <MessageBarBody>
        <MessageBarTitle>{shown.title}</MessageBarTitle>
        {shown.body}
      </MessageBarBody>
      {(!busy || retried) && (
        <MessageBarActions>
          <Button
            icon={busy ? <Spinner size="extra-tiny" /> : <ArrowClockwise20Regular />}
            disabledFocusable={busy}
            onClick={() => {
              setRetried(true);
              void session.signIn();
            }}
          >
            Try again
          </Button>
        </MessageBarActions>
      )}
    </MessageBar>
  );
}
