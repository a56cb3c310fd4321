// What every component may need: the API client, the sign-in session (with the organisation's
// policy), the host adapter, and where the page runs.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { LumenClient } from "../api/client";
import { isReady, type SessionState, type SignInSession } from "../auth/session";
import { BrowserHost } from "../hosts/browser";
import type { ImageHost } from "../hosts";
import { connect } from "./connect";

export interface LumenContext {
  client: LumenClient;
  session: SignInSession;
  host: ImageHost;
  /** True inside Word or PowerPoint; false in a browser tab. */
  inOffice: boolean;
}

const Context = createContext<LumenContext>({
  ...connect({ inOffice: false }),
  host: new BrowserHost(),
  inOffice: false,
});

export function LumenProvider({ value, children }: { value: LumenContext; children: ReactNode }) {
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useLumen(): LumenContext {
  return useContext(Context);
}

/** The policy and sign-in state; re-renders when either changes. */
export function useSession(): SessionState & { ready: boolean } {
  const { session } = useLumen();
  const state = useSyncExternalStore(session.subscribe, session.getState);
  return { ...state, ready: isReady(state.signIn) };
}
