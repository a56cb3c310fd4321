// One error shape everywhere: {error: {code, message, requestId}}. Routes throw ApiError; the
// handler at the end of the app turns anything else into a 500 without internals.
import type { ErrorRequestHandler, Response } from "express";
import { ZodError } from "zod";
import { errorCodes, type ErrorCode } from "../../contract";
import { AuthError } from "../auth/entra";
import { QueueUnavailableError } from "../jobs/types";
import { StorageError } from "../store";

/** Seconds a client should wait when the shared queue cannot be reached (a Redis restart takes seconds). */
export const QUEUE_RETRY_SECONDS = 5;

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extra: { retryAfterSeconds?: number; param?: string | null; category?: string } = {}
  ) {
    super(message);
  }
  get status(): number {
    return errorCodes[this.code];
  }
}

export function zodMessage(error: ZodError): { message: string; param: string | null } {
  const issue = error.issues[0];
  const field = issue.path.join(".");
  let detail = issue.message;
  if (issue.code === "unrecognized_keys")
    detail = `unknown field(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  else if (issue.code === "invalid_type" && detail.startsWith("Invalid input")) {
    detail = `expected ${issue.expected}`;
  }
  return { message: field ? `${field}: ${detail}` : detail, param: field || null };
}

export function sendError(res: Response, error: ApiError): void {
  const requestId = String(res.getHeader("x-request-id") ?? "");
  if (error.extra.retryAfterSeconds !== undefined)
    res.setHeader("Retry-After", String(error.extra.retryAfterSeconds));
  res.status(error.status).json({
    error: {
      code: error.code,
      message: error.message,
      requestId,
      // OpenAI clients read `type` and `param`.
      type: error.status >= 500 ? "server_error" : "invalid_request_error",
      param: error.extra.param ?? null,
      ...(error.extra.category ? { category: error.extra.category } : {}),
    },
  });
}

/** Maps body-parser, zod and unknown errors to ApiErrors; never sends stacks or paths. */
export function errorHandler(log: (error: unknown, req: unknown) => void): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    let apiError: ApiError;
    if (error instanceof ApiError) apiError = error;
    else if (error instanceof AuthError) {
      apiError = new ApiError(
        error.status === 403 ? "tenant_not_allowed" : "unauthorized",
        error.message
      );
    } else if (error instanceof ZodError) {
      const { message, param } = zodMessage(error);
      apiError = new ApiError("invalid_request", message, { param });
    } else if (error?.type === "entity.too.large") {
      apiError = new ApiError(
        "payload_too_large",
        `request body is larger than the ${error.limit}-byte limit`
      );
    } else if (error?.type === "entity.parse.failed") {
      apiError = new ApiError("invalid_request", "request body is not valid JSON");
    } else if (error?.type === "encoding.unsupported" || error?.status === 415) {
      apiError = new ApiError("invalid_request", "unsupported content encoding");
    } else if (error instanceof StorageError) {
      // The disk, not the request: the cause (with its path) goes to the log, the client may retry.
      log(error, req);
      apiError = new ApiError(
        "storage_unavailable",
        "the server cannot store data right now; try again later",
        { retryAfterSeconds: 30 }
      );
    } else if (error instanceof QueueUnavailableError) {
      // Redis is down or unreachable: the cause goes to the log; nothing was queued, the client may retry.
      log(error, req);
      apiError = new ApiError("queue_unavailable", error.message, {
        retryAfterSeconds: QUEUE_RETRY_SECONDS,
      });
    } else if (typeof error?.status === "number" && error.status >= 400 && error.status < 500) {
      apiError = new ApiError(
        "invalid_request",
        String(error.message ?? "bad request").split("\n")[0]
      );
    } else {
      log(error, req);
      apiError = new ApiError("internal_error", "internal server error");
    }
    sendError(res, apiError);
  };
}
