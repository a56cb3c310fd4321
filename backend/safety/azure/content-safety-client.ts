/**
 * Client of the Azure AI Content Safety REST API, GA version 2024-09-01: `text:analyze` and
 * `image:analyze`. Shapes follow Microsoft's REST reference (azure-rest-api-specs,
 * specification/cognitiveservices/data-plane/ContentSafety/stable/2024-09-01/contentsafety.json).
 *
 * Written over fetch rather than @azure-rest/ai-content-safety: that package is a thin generated
 * layer with its own retry pipeline, and here the retry, timeout and failure policy must be
 * Lumen's (tested against a stand-in) and the request body stays explicit.
 */
import type { TokenCredential } from "@azure/identity";
import { z } from "zod";

export const CONTENT_SAFETY_API_VERSION = "2024-09-01";
/** Entra ID scope of Azure AI services. */
export const COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default";
export const harmCategories = ["Hate", "SelfHarm", "Sexual", "Violence"] as const;
export type HarmCategory = (typeof harmCategories)[number];
/** The API refuses longer text in one request. */
export const MAX_TEXT_LENGTH = 10_000;

export interface AnalyzeTextOptions {
  text: string;
  categories?: HarmCategory[];
  blocklistNames?: string[];
  haltOnBlocklistHit?: boolean;
  outputType?: "FourSeverityLevels" | "EightSeverityLevels";
}
export interface AnalyzeImageOptions {
  image: { content: string };
  categories?: HarmCategory[];
  outputType?: "FourSeverityLevels";
}

const categoryAnalysis = z.object({ category: z.string(), severity: z.number().int().optional() });
const analyzeTextResult = z.object({
  blocklistsMatch: z
    .array(
      z.object({
        blocklistName: z.string(),
        blocklistItemId: z.string(),
        blocklistItemText: z.string(),
      })
    )
    .optional(),
  categoriesAnalysis: z.array(categoryAnalysis),
});
const analyzeImageResult = z.object({ categoriesAnalysis: z.array(categoryAnalysis) });
const errorResponse = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
export type AnalyzeTextResult = z.infer<typeof analyzeTextResult>;
export type AnalyzeImageResult = z.infer<typeof analyzeImageResult>;

/** The service could not give an answer: unreachable, timed out, refused the request or the credentials. */
export class ContentSafetyError extends Error {
  override name = "ContentSafetyError";
  constructor(
    message: string,
    readonly detail: { status?: number; code?: string; attempts: number }
  ) {
    super(message);
  }
}

export type ContentSafetyAuth = { key: string } | { credential: TokenCredential };

export interface ContentSafetyClientOptions {
  /** https://<resource>.cognitiveservices.azure.com (plain http only for loopback addresses). */
  endpoint: string;
  auth: ContentSafetyAuth;
  apiVersion?: string;
  /** Per attempt. */
  timeoutMs?: number;
  /** Further attempts after a 429, a 5xx, a timeout or a network error. */
  maxRetries?: number;
  /** First backoff; doubles with each retry, with jitter. */
  retryDelayMs?: number;
  /** Longest wait before a retry; a Retry-After beyond it ends the attempts instead. */
  maxRetryDelayMs?: number;
}

const RETRYABLE = new Set([408, 429, 500, 502, 503, 504]);

export class ContentSafetyClient {
  private readonly base: string;
  private readonly apiVersion: string;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private token?: { value: string; refreshAt: number };

  constructor(private readonly options: ContentSafetyClientOptions) {
    const url = new URL(options.endpoint);
    const loopback = ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);
    if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
      throw new RangeError(`the Content Safety endpoint must use https (got ${url.origin})`);
    }
    this.base = url.origin + url.pathname.replace(/\/+$/, "") + "/contentsafety";
    this.apiVersion = options.apiVersion ?? CONTENT_SAFETY_API_VERSION;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.maxRetries = options.maxRetries ?? 2;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 5000;
  }

  async analyzeText(body: AnalyzeTextOptions): Promise<AnalyzeTextResult> {
    if ([...body.text].length > MAX_TEXT_LENGTH)
      throw new RangeError(`text is longer than ${MAX_TEXT_LENGTH} characters`);
    const { value, attempts } = await this.post("/text:analyze", body);
    return checked(analyzeTextResult, value, attempts);
  }

  async analyzeImage(body: AnalyzeImageOptions): Promise<AnalyzeImageResult> {
    const { value, attempts } = await this.post("/image:analyze", body);
    return checked(analyzeImageResult, value, attempts);
  }

  private async authHeader(): Promise<Record<string, string>> {
    const auth = this.options.auth;
    if ("key" in auth) return { "Ocp-Apim-Subscription-Key": auth.key };
    if (!this.token || Date.now() >= this.token.refreshAt) {
      let token;
      try {
        token = await auth.credential.getToken(COGNITIVE_SERVICES_SCOPE);
      } catch (err) {
        throw new ContentSafetyError(
          `no Entra ID token for Azure AI Content Safety: ${(err as Error).message}`,
          { attempts: 0 }
        );
      }
      if (!token)
        throw new ContentSafetyError("no Entra ID token for Azure AI Content Safety", {
          attempts: 0,
        });
      // Renewed five minutes before it expires.
      this.token = { value: token.token, refreshAt: token.expiresOnTimestamp - 300_000 };
    }
    return { Authorization: `Bearer ${this.token.value}` };
  }

  /** One POST with retries; resolves with the parsed JSON of a 2xx answer. */
  private async post(path: string, body: unknown): Promise<{ value: unknown; attempts: number }> {
    const url = `${this.base}${path}?api-version=${encodeURIComponent(this.apiVersion)}`;
    const payload = JSON.stringify(body);
    let last: ContentSafetyError | undefined;
    for (let attempt = 1; ; attempt++) {
      const headers = { "content-type": "application/json", ...(await this.authHeader()) };
      let wait: number | undefined;
      try {
        const response = await fetch(url, {
          method: "POST",
          headers,
          body: payload,
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await response.text();
        if (response.ok) {
          const value = safeJson(text);
          if (value === undefined)
            throw new ContentSafetyError(
              "Azure AI Content Safety answered with something that is not JSON",
              { status: response.status, attempts: attempt }
            );
          return { value, attempts: attempt };
        }
        const error = errorResponse.safeParse(safeJson(text)).data?.error;
        const code = error?.code ?? response.headers.get("x-ms-error-code") ?? undefined;
        last = new ContentSafetyError(
          `Azure AI Content Safety answered ${response.status}${code ? ` ${code}` : ""}${error ? `: ${error.message}` : ""}`,
          { status: response.status, code, attempts: attempt }
        );
        if (!RETRYABLE.has(response.status)) throw last;
        wait = retryAfterMs(response.headers.get("retry-after"));
      } catch (err) {
        if (err instanceof ContentSafetyError) {
          if (err !== last || !RETRYABLE.has(err.detail.status ?? 0)) throw err;
        } else {
          // Timeouts and network errors are worth another try, like a 503.
          const timedOut = err instanceof DOMException && err.name === "TimeoutError";
          const cause =
            (err as Error).cause instanceof Error
              ? ((err as Error).cause as Error).message
              : (err as Error).message;
          last = new ContentSafetyError(
            timedOut
              ? `Azure AI Content Safety did not answer within ${this.timeoutMs} ms`
              : `Azure AI Content Safety is unreachable: ${cause}`,
            { attempts: attempt }
          );
        }
      }
      if (attempt > this.maxRetries) throw last;
      const backoff = this.retryDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
      const delay = Math.max(wait ?? 0, backoff);
      // A long Retry-After means the answer would come too late for someone waiting on it.
      if (delay > this.maxRetryDelayMs) throw last;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function checked<S extends z.ZodType>(schema: S, value: unknown, attempts: number): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ContentSafetyError(
      `Azure AI Content Safety answered in an unexpected shape: ${z.prettifyError(parsed.error)}`,
      { attempts }
    );
  return parsed.data;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
