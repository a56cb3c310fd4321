// Starts a page: waits for Office (or finds there is none), picks the host adapter, reads the
// organisation's policy, renders the page inside Fluent's provider with the theme Office or the
// system asks for, and then signs in if the policy requires it.
import { FluentProvider, makeStaticStyles, tokens } from "@fluentui/react-components";
import { StrictMode, type ComponentType } from "react";
import { createRoot } from "react-dom/client";
import { completeSignInPopup } from "../auth/redirect";
import { detectHost } from "../hosts";
import { connect } from "./connect";
import { LumenProvider, type LumenContext } from "./context";
import { Notifications } from "./components/Notifications";
import { themes, useThemeKind } from "./theme";

const useGlobalStyles = makeStaticStyles({
  "html, body, #root": { margin: 0, padding: 0, minHeight: "100%", height: "100%" },
});

function Frame({ context, Page }: { context: LumenContext; Page: ComponentType }) {
  useGlobalStyles();
  const kind = useThemeKind(context.inOffice);
  return (
    <FluentProvider
      theme={themes[kind]}
      style={{ minHeight: "100%", backgroundColor: tokens.colorNeutralBackground1 }}
      data-theme={kind}
    >
      <LumenProvider value={context}>
        <Page />
        <Notifications />
      </LumenProvider>
    </FluentProvider>
  );
}

export async function mount(Page: ComponentType): Promise<void> {
  // In the sign-in popup this page only passes Entra's answer back to the page that opened it.
  if (await completeSignInPopup()) return;
  const { host, office } = await detectHost();
  const { client, session } = connect({ inOffice: office });
  // Known before the first render, so the choices never shrink under the person's eyes.
  await session.loadPolicy();
  const context: LumenContext = { client, session, host, inOffice: office };
  document.documentElement.dataset.host = host.name;
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <Frame context={context} Page={Page} />
    </StrictMode>
  );
  void session.signIn();
}
