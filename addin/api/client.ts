// Typed client of the Lumen HTTP API (docs/API.md). The add-in is served by the same server,
// so paths are relative to the page's origin unless a base URL is given. With sign-in on, every
// call but GET /api/policy carries the token provider's bearer token, event streams and images too.
import type {
  ArenaBattle,
  ArenaLeaderboard,
  ArenaReveal,
  ArenaWinner,
  ErrorBody,
  ErrorCode,
  FeedbackRequest,
  GenerationAccepted,
  GenerationEvent,
  GenerationRequest,
  ImageFormat,
  Notice,
  Policy,
} from "../../contract";
import { followEventStream } from "./events";

/** A refusal or failure the server described with its error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "unknown",
    message: string,
    readonly extra: {
      category?: string;
      retryAfterSeconds?: number;
      requestId?: string;
      param?: string;
    } = {}
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** The server could not be reached at all (offline, stopped, certificate not trusted). */
export class UnreachableError extends Error {
  constructor(readonly baseUrl: string) {
    super(`Can't reach the Lumen server${baseUrl ? ` at ${baseUrl}` : ""}.`);
    this.name = "UnreachableError";
  }
}

export interface CreatedGeneration {
  id: string;
  position: number;
  /** What the server wants the user to know about the prompt (words the model cannot read). */
  notices: Notice[];
}

export type { ImageFormat };

const EXTENSION: Record<ImageFormat, string> = { png: "png", jpeg: "jpg", webp: "webp" };

/** Seconds from a Retry-After header (delta-seconds or an HTTP date). */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

async function toApiError(response: Response): Promise<ApiError> {
  let body: { error?: Partial<ErrorBody["error"]> & { category?: string } } = {};
  try {
    body = await response.json();
  } catch {
    // Not our error shape (a proxy's page): the status is all there is.
  }
  const error = body.error;
  return new ApiError(
    response.status,
    error?.code ?? "unknown",
    error?.message ?? `The server answered ${response.status} ${response.statusText}.`,
    {
      category: error?.category,
      retryAfterSeconds: parseRetryAfter(response.headers.get("Retry-After")),
      requestId: error?.requestId ?? response.headers.get("X-Request-Id") ?? undefined,
      param: error?.param ?? undefined,
    }
  );
}

/**
 * The server refused the caller rather than the request: no or a bad token (401), or an account
 * whose organisation is not allowed (403). A 403 naming a field is a policy refusal of that
 * field (a model the organisation does not allow), not of the account.
 */
export function isSignInRefusal(error: unknown): error is ApiError {
  return (
    error instanceof ApiError &&
    (error.status === 401 || (error.status === 403 && !error.extra.param))
  );
}

/** Where the bearer token comes from; the sign-in session in the add-in, a stub in tests. */
export interface TokenProvider {
  /** The token to send, or undefined when the server needs none. Throws when sign-in fails. */
  getToken(): Promise<string | undefined>;
  /** Forget the current token: the server refused it. */
  invalidate(): void;
  /** The server refused the caller even with a fresh token (see isSignInRefusal). */
  refused?(error: ApiError): void;
}

const NO_SIGN_IN: TokenProvider = { getToken: async () => undefined, invalidate: () => {} };

const EVENT_TYPES = new Set<string>([
  "queued",
  "started",
  "step",
  "image",
  "blocked",
  "done",
  "error",
]);

export class LumenClient {
  constructor(
    readonly baseUrl = "",
    private readonly tokens: TokenProvider = NO_SIGN_IN
  ) {}

  private async send(
    path: string,
    init: RequestInit,
    token: string | undefined
  ): Promise<Response> {
    const headers = new Headers(init.headers);
    if (token) headers.set("Authorization", `Bearer ${token}`);
    try {
      return await fetch(this.baseUrl + path, { ...init, headers });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new UnreachableError(this.baseUrl || globalThis.location?.origin || "");
    }
  }

  /** One call; a 401 on a token that was sent gets one retry with a freshly acquired token. */
  private async request(
    path: string,
    init: RequestInit = {},
    { signIn = true } = {}
  ): Promise<Response> {
    let token = signIn ? await this.tokens.getToken() : undefined;
    let response = await this.send(path, init, token);
    if (response.status === 401 && token) {
      this.tokens.invalidate();
      token = await this.tokens.getToken();
      response = await this.send(path, init, token);
    }
    if (!response.ok) {
      const error = await toApiError(response);
      if (signIn && isSignInRefusal(error)) this.tokens.refused?.(error);
      throw error;
    }
    return response;
  }

  private json(path: string, body: unknown, method = "POST"): Promise<Response> {
    return this.request(path, {
      method,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  /** What the organisation allows and how to sign in; readable without signing in. */
  async policy(): Promise<Policy> {
    const response = await this.request("/api/policy", {}, { signIn: false });
    return response.json();
  }

  /** The models this caller may use; also a cheap check that the server accepts the token. */
  async models(): Promise<{ name: string; default: boolean; fromPicture: boolean }[]> {
    const response = await this.request("/api/models");
    return (await response.json()).models;
  }

  async createGeneration(request: GenerationRequest): Promise<CreatedGeneration> {
    const response = await this.json("/api/generations", request);
    const { id, position, notices } = (await response.json()) as Partial<GenerationAccepted> & {
      id: string;
    };
    return { id, position: position ?? 0, notices: notices ?? [] };
  }

  async cancelGeneration(id: string): Promise<void> {
    await this.request(`/api/generations/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  async sendFeedback(feedback: FeedbackRequest): Promise<void> {
    await this.json("/api/feedback", feedback);
  }

  /** Two anonymous pictures of the prompt; resolves once both are painted. */
  async createBattle(prompt: string, signal?: AbortSignal): Promise<ArenaBattle> {
    const response = await this.request("/api/arena/battles", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ prompt }),
      signal,
    });
    return response.json();
  }

  async vote(battleId: string, winner: ArenaWinner): Promise<ArenaReveal> {
    const response = await this.json(`/api/arena/battles/${encodeURIComponent(battleId)}/vote`, {
      winner,
    });
    return response.json();
  }

  async leaderboard(category?: string): Promise<ArenaLeaderboard> {
    const response = await this.request(
      `/api/arena/leaderboard${category ? `?category=${encodeURIComponent(category)}` : ""}`
    );
    return response.json();
  }

  /** Any image the server names by path (an arena picture), with the sign-in token. */
  async blob(path: string, signal?: AbortSignal): Promise<Blob> {
    const response = await this.request(path, { signal });
    return response.blob();
  }

  async isReady(): Promise<boolean> {
    try {
      await this.request("/readyz", {}, { signIn: false });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The URL of an image, converted and bounded on the server (`size` = longest side in pixels).
   * With sign-in on it needs the Authorization header: fetch it with imageBlob.
   */
  imageUrl(id: string, options: { format?: ImageFormat; size?: number } = {}): string {
    return this.baseUrl + this.imagePath(id, options);
  }

  async imageBlob(
    id: string,
    options: { format?: ImageFormat; size?: number; signal?: AbortSignal } = {}
  ): Promise<Blob> {
    const response = await this.request(this.imagePath(id, options), { signal: options.signal });
    return response.blob();
  }

  private imagePath(id: string, options: { format?: ImageFormat; size?: number }): string {
    const query = options.size ? `?size=${options.size}` : "";
    return `/api/images/${encodeURIComponent(id)}.${EXTENSION[options.format ?? "png"]}${query}`;
  }

  /**
   * Follows a generation's Server-Sent Events until `done` or `error`. Returns a function that
   * stops listening. `onLost` is called once reconnecting has failed, with the last error
   * (an ApiError when the server refused, e.g. sign-in).
   */
  followGeneration(
    id: string,
    onEvent: (event: GenerationEvent) => void,
    onLost: (error?: unknown) => void
  ): () => void {
    const path = `/api/generations/${encodeURIComponent(id)}/events`;
    return followEventStream({
      open: (signal, lastEventId) =>
        this.request(path, {
          signal,
          headers: {
            accept: "text/event-stream",
            ...(lastEventId !== undefined ? { "last-event-id": lastEventId } : {}),
          },
        }),
      onMessage: (message) => {
        if (!message.event || !EVENT_TYPES.has(message.event)) return false;
        const event = { type: message.event, ...JSON.parse(message.data) } as GenerationEvent;
        onEvent(event);
        return event.type === "done" || event.type === "error";
      },
      onLost,
    });
  }
}
