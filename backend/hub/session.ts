// The connection to one Hub repository for one pull: endpoint (HF_ENDPOINT), token (HF_TOKEN),
// the commit every file is read at, and what each failure means in one line.
//
// The Hub says why it refused a request in its X-Error-Code / X-Error-Message headers
// (GatedRepo, RepoNotFound, RevisionNotFound, EntryNotFound); @huggingface/hub's errors keep only
// the status and body, so the fetch given to the client records the headers of the last refusal.
import { PullError } from "./errors";

export const DEFAULT_ENDPOINT = "https://huggingface.co";

interface Refusal {
  url: string;
  status: number;
  code?: string;
  message?: string;
}

export interface Failure {
  message: string;
  /** Worth another try: a dropped connection, a rate limit, a server error. */
  transient: boolean;
}

export class HubSession {
  commit = "";
  /** Attempts per file before a pull gives up (each resumes where the last one stopped). */
  attempts = 4;
  retryDelayMs = 250;
  private refusal?: Refusal;
  readonly fetch: typeof fetch;

  constructor(
    readonly endpoint: string,
    readonly repo: string,
    readonly revision: string,
    readonly token: string | undefined
  ) {
    this.fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!response.ok) {
        this.refusal = {
          url: response.url || String(input),
          status: response.status,
          code: response.headers.get("x-error-code") ?? undefined,
          message: response.headers.get("x-error-message") ?? undefined,
        };
      }
      return response;
    };
  }

  clearFailure(): void {
    this.refusal = undefined;
  }

  /** One line for an error of the Hub client, fetch or the download stream. */
  explain(error: unknown): Failure {
    if (error instanceof PullError) return { message: error.message, transient: false };
    const err = error as {
      statusCode?: unknown;
      data?: { error?: unknown; message?: unknown };
      message?: unknown;
      cause?: unknown;
    };
    const status = typeof err?.statusCode === "number" ? err.statusCode : this.refusal?.status;
    if (status !== undefined) {
      const bodyMessage =
        typeof err?.data?.error === "string"
          ? err.data.error
          : typeof err?.data?.message === "string"
            ? err.data.message
            : undefined;
      return this.explainStatus(status, this.refusal?.code, this.refusal?.message ?? bodyMessage);
    }
    // Network failures: undici's "fetch failed" carries the system error as its cause; a stream
    // cut midway ends with "terminated"; WebBlob rethrows stream failures as bare strings.
    const cause = (err?.cause as { code?: string; message?: string } | undefined) ?? undefined;
    const text = typeof error === "string" ? error : String(err?.message ?? error);
    if (
      /terminated|other side closed|ECONNRESET|connection closed/i.test(
        `${text} ${cause?.code ?? ""} ${cause?.message ?? ""}`
      )
    ) {
      return {
        message: `the connection to ${this.endpoint} dropped (${cause?.message ?? text})`,
        transient: true,
      };
    }
    if (/fetch failed/i.test(text)) {
      return {
        message: `cannot reach ${this.endpoint} (${cause?.code ?? cause?.message ?? text}); set HF_ENDPOINT for a mirror`,
        transient: true,
      };
    }
    return { message: text.split("\n")[0], transient: false };
  }

  private explainStatus(
    status: number,
    code: string | undefined,
    serverMessage: string | undefined
  ): Failure {
    const repoUrl = `${this.endpoint}/${this.repo}`;
    const said = serverMessage ? ` (${serverMessage.split("\n")[0]})` : "";
    if (status === 401 && /invalid credentials/i.test(serverMessage ?? "")) {
      return {
        message: `${this.endpoint} rejected HF_TOKEN${said}; check it or make a new one at https://huggingface.co/settings/tokens`,
        transient: false,
      };
    }
    if (code === "GatedRepo") {
      return this.token
        ? {
            message: `${this.repo} is gated and HF_TOKEN's account has no access yet${said}; ask for it at ${repoUrl}`,
            transient: false,
          }
        : {
            message: `${this.repo} is gated: accept its conditions at ${repoUrl}, then set HF_TOKEN to an access token of that account`,
            transient: false,
          };
    }
    if (code === "RepoNotFound" || (status === 401 && !code)) {
      return {
        message: this.token
          ? `${this.repo} was not found on ${this.endpoint}, or HF_TOKEN has no access to it`
          : `${this.repo} was not found on ${this.endpoint} (if it is private or gated, set HF_TOKEN)`,
        transient: false,
      };
    }
    if (code === "RevisionNotFound")
      return {
        message: `${this.repo} has no revision "${this.revision}"${said}`,
        transient: false,
      };
    if (code === "EntryNotFound")
      return { message: `not found in ${this.repo}${said}`, transient: false };
    if (status === 429)
      return { message: `${this.endpoint} is rate limiting requests (429)`, transient: true };
    if (status >= 500)
      return { message: `${this.endpoint} answered ${status}${said}`, transient: true };
    return { message: `${this.endpoint} answered ${status}${said}`, transient: false };
  }
}
