// Starts a page: waits for Office (or finds there is none), picks the host adapter, and renders
// the page inside Fluent's provider with the theme Office or the system asks for.
import { FluentProvider, makeStaticStyles, tokens } from "@fluentui/react-components";
import { StrictMode, type ComponentType } from "react";
import { createRoot } from "react-dom/client";
import { LumenClient } from "../api/client";
import { detectHost } from "../hosts";
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
    <FluentProvider theme={themes[kind]} style={{ minHeight: "100%", backgroundColor: tokens.colorNeutralBackground1 }} data-theme={kind}>
      <LumenProvider value={context}>
        <Page />
        <Notifications />
      </LumenProvider>
    </FluentProvider>
  );
}

export async function mount(Page: ComponentType): Promise<void> {
  const { host, office } = await detectHost();
  const context: LumenContext = { client: new LumenClient(), host, inOffice: office };
  document.documentElement.dataset.host = host.name;
  createRoot(document.getElementById("root")!).render(
    <StrictMode>
      <Frame context={context} Page={Page} />
    </StrictMode>,
  );
}
