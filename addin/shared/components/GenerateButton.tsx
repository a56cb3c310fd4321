// The submit button of the create form, shared by the task pane and the Image Creator.
import { Button } from "@fluentui/react-components";
import { Sparkle20Filled } from "@fluentui/react-icons";
import { SIGN_IN_BANNER_ID } from "./SignInBanner";

export function GenerateButton(props: {
  className?: string;
  active: boolean;
  ready: boolean;
  label: string;
  activeLabel: string;
}) {
  const { className, active, ready, label, activeLabel } = props;
  return (
    <Button
      className={className}
      type="submit"
      appearance="primary"
      size="large"
      icon={<Sparkle20Filled />}
      disabled={active}
      // Focusable while it waits for sign-in, and pointing at the reason.
      disabledFocusable={!active && !ready}
      aria-describedby={ready ? undefined : SIGN_IN_BANNER_ID}
    >
      {active ? activeLabel : label}
    </Button>
  );
}
