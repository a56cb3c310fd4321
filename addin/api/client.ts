// Typed client of the Lumen HTTP API (docs/API.md). The add-in is served by the same server,
// so paths are relative to the page's origin unless a base URL is given.
import type { ErrorBody, ErrorCode, FeedbackRequest, GenerationEvent, GenerationRequest } from "../../backend/api/contract";

/** A refusal or failure the server described with its error shape. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "unknown",
    message: string,
    readonly extra: { category?: string; retryAfterSeconds?: number; requestId?: string } = {},
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
}

export type ImageFormat = "png" | "jpeg" | "webp";

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
  let body: Partial<ErrorBody> & { error?: { category?: string } } = {};
  try {
    body = await response.json();
  } catch {
    // Not our error shape (a proxy's page): the status is all there is.
  }
  const error = body.error;
  return new ApiError(response.status, error?.code ?? "unknown", error?.message ?? `The server answered ${response.status} ${response.statusText}.`, {
    category: error?.category,
    retryAfterSeconds: parseRetryAfter(response.headers.get("Retry-After")),
    requestId: error?.requestId ?? response.headers.get("X-Request-Id") ?? undefined,
  });
}

export class LumenClient {
  constructor(readonly baseUrl = "") {}

  private async request(path: string, init: RequestInit = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(this.baseUrl + path, init);
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new UnreachableError(this.baseUrl || location.origin);
    }
    if (!response.ok) throw await toApiError(response);
    return response;
  }

  private json(path: string, body: unknown, method = "POST"): Promise<Response> {
    return this.request(path, { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  }

  async createGeneration(request: GenerationRequest): Promise<CreatedGeneration> {
    const response = await this.json("/api/generations", request);
    const { id, position } = await response.json();
    return { id, position: position ?? 0 };
  }

  async cancelGeneration(id: string): Promise<void> {
    await this.request(`/api/generations/${encodeURIComponent(id)}`, { method: "DELETE" });
  }

  async sendFeedback(feedback: FeedbackRequest): Promise<void> {
    await this.json("/api/feedback", feedback);
  }

  async isReady(): Promise<boolean> {
    try {
      await this.request("/readyz");
      return true;
    } catch {
      return false;
    }
  }

  /** The URL of an image, converted and bounded on the server (`size` = longest side in pixels). */
  imageUrl(id: string, options: { format?: ImageFormat; size?: number } = {}): string {
    const query = options.size ? `?size=${options.size}` : "";
    return `${this.baseUrl}/api/images/${encodeURIComponent(id)}.${EXTENSION[options.format ?? "png"]}${query}`;
  }

  async imageBlob(id: string, options: { format?: ImageFormat; size?: number } = {}): Promise<Blob> {
    const response = await this.request(this.imageUrl(id, options).slice(this.baseUrl.length));
    return response.blob();
  }

  /**
   * Follows a generation's Server-Sent Events until `done` or `error`. Returns a function that
   * stops listening. Connection trouble is reported once the browser's own retries have failed.
   */
  followGeneration(id: string, onEvent: (event: GenerationEvent) => void, onLost: () => void): () => void {
    const source = new EventSource(`${this.baseUrl}/api/generations/${encodeURIComponent(id)}/events`);
    let failures = 0;
    const types: GenerationEvent["type"][] = ["queued", "started", "step", "image", "blocked", "done", "error"];
    for (const type of types) {
      source.addEventListener(type, (message) => {
        failures = 0;
        const event = { type, ...JSON.parse((message as MessageEvent<string>).data) } as GenerationEvent;
        // The server ends the stream after these; without close() EventSource would reconnect.
        if (type === "done" || type === "error") source.close();
        onEvent(event);
      });
    }
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED || ++failures >= 3) {
        source.close();
        onLost();
      }
    };
    return () => source.close();
  }
}
