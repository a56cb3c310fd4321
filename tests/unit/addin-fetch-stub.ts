// A stand-in for fetch: records every request (URL, method, Authorization) and answers from a
// handler, so the add-in's client can be tested without a server or a browser.

export interface SentRequest {
  url: string;
  method: string;
  authorization: string | null;
  accept: string | null;
  lastEventId: string | null;
  body?: string;
}

export type Handler = (request: SentRequest, index: number) => Response | Promise<Response>;

export interface FetchStub {
  requests: SentRequest[];
  restore(): void;
}

export function stubFetch(handler: Handler): FetchStub {
  const original = globalThis.fetch;
  const requests: SentRequest[] = [];
  globalThis.fetch = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = new Headers(init.headers);
    const request: SentRequest = {
      url: String(input),
      method: init.method ?? "GET",
      authorization: headers.get("authorization"),
      accept: headers.get("accept"),
      lastEventId: headers.get("last-event-id"),
      body: typeof init.body === "string" ? init.body : undefined,
    };
    requests.push(request);
    if (init.signal?.aborted) throw new DOMException("aborted", "AbortError");
    return handler(request, requests.length - 1);
  }) as typeof fetch;
  return { requests, restore: () => void (globalThis.fetch = original) };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json" },
  });
}

export function apiError(status: number, code: string, message: string, param?: string): Response {
  return json({ error: { code, message, requestId: "r1", param: param ?? null } }, status);
}

/** An SSE response with these events (name + data), optionally a retry interval first. */
export function sse(
  events: [string, unknown][],
  { retry, firstId = 1 }: { retry?: number; firstId?: number } = {}
): Response {
  const text =
    (retry ? `retry: ${retry}\n\n` : "") +
    events
      .map(
        ([event, data], i) =>
          `id: ${firstId + i}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`
      )
      .join("");
  return new Response(text, { headers: { "content-type": "text/event-stream" } });
}
