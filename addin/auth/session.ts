// The page's sign-in: reads the organisation's policy (public), and when it requires sign-in gets
// a token, confirms the server accepts it, and hands it to every API call (it is the client's
// TokenProvider). Its state is what the sign-in banner shows.
import type { Policy } from "../../contract";
import type { ApiError, TokenProvider } from "../api/client";
import { DEFAULT_POLICY } from "../api/policy";
import { SignInError, toSignInError } from "./errors";
import { TokenCache, type TokenSource } from "./token-cache";
import type { SignInSettings } from "./token-source";

export type SignInState =
  /** The server needs no sign-in. */
  | { status: "off" }
  | { status: "signing-in" }
  | { status: "signed-in" }
  /** No token could be had (MSAL or Office said why). */
  | { status: "failed"; reason: string }
  /** The server refused the token (401) or the account's organisation (403). */
  | { status: "refused"; httpStatus: 401 | 403; reason: string };

/** API calls may be made: signed in, or no sign-in needed. */
export function isReady(signIn: SignInState): boolean {
  return signIn.status === "off" || signIn.status === "signed-in";
}

export interface SessionState {
  policy: Policy;
  signIn: SignInState;
}

export interface SessionDeps {
  loadPolicy(): Promise<Policy>;
  tokenSource(settings: SignInSettings): TokenSource;
  /** An authenticated call: refusals reach the session through the client's `refused`. */
  confirm?(): Promise<unknown>;
}

export class SignInSession implements TokenProvider {
  private state: SessionState = { policy: DEFAULT_POLICY, signIn: { status: "off" } };
  private policyRead = false;
  private cache?: TokenCache;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: SessionDeps) {}

  getState = (): SessionState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get ready(): boolean {
    return isReady(this.state.signIn);
  }

  /**
   * Reads the policy. When the server can't be reached the page keeps the defaults (and the
   * server still enforces its own policy); signIn() tries again.
   */
  async loadPolicy(): Promise<Policy> {
    try {
      const policy = await this.deps.loadPolicy();
      this.policyRead = true;
      this.cache = undefined; // the sign-in settings may have changed
      this.set({ policy, signIn: policy.auth.required ? this.state.signIn : { status: "off" } });
    } catch (error) {
      console.warn("Couldn't read the organisation's policy; using the defaults.", error);
    }
    return this.state.policy;
  }

  /** Signs in if the policy asks for it; also "Try again" after a failure or refusal. */
  async signIn(): Promise<void> {
    if (!this.policyRead) await this.loadPolicy();
    if (!this.state.policy.auth.required) {
      this.setSignIn({ status: "off" });
      return;
    }
    this.setSignIn({ status: "signing-in" });
    this.cache?.clear();
    try {
      await this.getToken();
      await this.deps.confirm?.();
    } catch {
      // getToken and refused() have already set the state; other failures (the server is
      // unreachable) show where the person next uses it.
    }
    if (this.state.signIn.status === "signing-in") this.setSignIn({ status: "signed-in" });
  }

  async getToken(): Promise<string | undefined> {
    const { auth } = this.state.policy;
    if (!auth.required) return undefined;
    // After a failure or refusal only Try again signs in again: calls in the meantime (images,
    // say) must not each open a sign-in window.
    const { signIn } = this.state;
    if (signIn.status === "failed" || signIn.status === "refused")
      throw new SignInError(signIn.reason);
    this.cache ??= new TokenCache(this.deps.tokenSource(auth));
    try {
      return await this.cache.get();
    } catch (error) {
      const signInError = toSignInError(error);
      console.warn("Sign-in failed:", signInError.message, error);
      this.setSignIn({ status: "failed", reason: signInError.message });
      throw signInError;
    }
  }

  invalidate(): void {
    this.cache?.clear();
  }

  refused(error: ApiError): void {
    this.cache?.clear();
    if (!this.state.policy.auth.required) this.policyRead = false; // the server needs sign-in after all
    this.setSignIn({
      status: "refused",
      httpStatus: error.status === 403 ? 403 : 401,
      reason: error.message,
    });
  }

  private setSignIn(signIn: SignInState): void {
    this.set({ ...this.state, signIn });
  }

  private set(state: SessionState): void {
    this.state = state;
    this.listeners.forEach((listener) => listener());
  }
}
