// What every component may need: the API client, the host adapter, and where the page runs.
import { createContext, useContext, type ReactNode } from "react";
import { LumenClient } from "../api/client";
import { BrowserHost } from "../hosts/browser";
import type { ImageHost } from "../hosts";

export interface LumenContext {
  client: LumenClient;
  host: ImageHost;
  /** True inside Word or PowerPoint; false in a browser tab. */
  inOffice: boolean;
}

const Context = createContext<LumenContext>({ client: new LumenClient(), host: new BrowserHost(), inOffice: false });

export function LumenProvider({ value, children }: { value: LumenContext; children: ReactNode }) {
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useLumen(): LumenContext {
  return useContext(Context);
}
