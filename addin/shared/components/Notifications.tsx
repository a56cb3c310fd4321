// Toasts for the outcome of actions on results (inserted, copied, feedback sent, failures).
import {
  Toast,
  ToastBody,
  ToastTitle,
  Toaster,
  type useToastController,
} from "@fluentui/react-components";

export const TOASTER_ID = "lumen-toaster";

export function Notifications() {
  return <Toaster toasterId={TOASTER_ID} position="bottom" pauseOnHover pauseOnWindowBlur />;
}

export function notify(
  dispatchToast: ReturnType<typeof useToastController>["dispatchToast"],
  intent: "success" | "error" | "info",
  title: string,
  body?: string
): void {
  dispatchToast(
    <Toast>
      <ToastTitle>{title}</ToastTitle>
      {body && <ToastBody>{body}</ToastBody>}
    </Toast>,
    { intent, timeout: intent === "error" ? 8000 : 4000 }
  );
}
