// The OpenAPI 3.1 description of the HTTP API, served at /api/openapi.json, generated with
// @asteasolutions/zod-to-openapi from the zod schemas of the contract that the routes validate
// with and answer in, so the document and the server cannot drift apart.
import {
  OpenAPIRegistry,
  OpenApiGeneratorV31,
  zodToOpenAPIRegistry,
  type ResponseConfig,
} from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import {
  ArenaBattleRequest,
  ArenaVoteRequest,
  FeedbackRequest,
  Generation,
  GenerationAccepted,
  GenerationListQuery,
  GenerationRequest,
  ImageSummary,
  Notice,
  OpenAIEditRequest,
  OpenAIImageRequest,
  OpenAIVariationRequest,
  errorCodes,
  imageFormats,
} from "../../contract";

/**
 * A contract schema as a named component, referenced wherever it appears. The library's
 * `.openapi()` method exists only on schemas made after `extendZodWithOpenApi`, and the contract
 * (shared with the browser bundle) makes its schemas without it; the name goes into the library's
 * metadata registry instead, which is what `.openapi(name)` writes.
 */
function component(name: string, schema: z.ZodType): OpenAPIDefinitions {
  zodToOpenAPIRegistry.add(schema, { _internal: { refId: name } });
  return { type: "schema", schema };
}

type OpenAPIDefinitions = OpenAPIRegistry["definitions"][number];

const ErrorBody = z.object({
  error: z.object({
    code: z.enum(
      Object.keys(errorCodes) as [keyof typeof errorCodes, ...(keyof typeof errorCodes)[]]
    ),
    message: z.string(),
    requestId: z.string(),
    category: z.string().optional().describe("for content_policy_violation: the policy category"),
    param: z.string().nullable().optional().describe("the request field at fault"),
  }),
});

const json = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const body = (schema: z.ZodType) => ({ required: true, ...json(schema) });
const error = (description: string): ResponseConfig => ({ description, ...json(ErrorBody) });
const plain = (description: string): ResponseConfig => ({ description });
const idParams = z.object({ id: z.string() });

/** A file part of a multipart body (OpenAPI's binary string; zod has no file type). */
function file(description: string): z.ZodString {
  const schema = z.string().describe(description);
  zodToOpenAPIRegistry.add(schema, { format: "binary" });
  return schema;
}

/** A multipart/form-data body: the contract's text fields and the files beside them. */
const multipart = (schema: z.ZodType) => ({
  required: true,
  content: { "multipart/form-data": { schema } },
});
const picture = () => file("PNG, JPEG or WebP, at most LUMEN_MAX_PICTURE_BYTES");

function components(): OpenAPIDefinitions[] {
  return [
    component("Notice", Notice),
    component("ImageSummary", ImageSummary),
    component("Generation", Generation),
    component("Error", ErrorBody),
  ];
}

function registry(): OpenAPIRegistry {
  const r = new OpenAPIRegistry();

  r.registerPath({
    method: "post",
    path: "/api/generations",
    summary: "Queue a generation",
    request: { body: body(GenerationRequest) },
    responses: {
      202: {
        description:
          "Queued; follow links.events for progress. `notices` says what the user should know, e.g. words the model cannot read",
        ...json(GenerationAccepted),
      },
      400: error("Invalid request, unknown model, or content_policy_violation (with category)"),
      413: error("Body too large"),
      429: error("Rate limited; see Retry-After"),
      503: error(
        "Queue full, storage_unavailable, safety_unavailable or not_ready; see Retry-After"
      ),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/generations",
    summary: "This client's generations (with sign-in on: this user's), newest first",
    request: { query: GenerationListQuery },
    responses: {
      200: {
        description: "A page of generations",
        ...json(z.object({ items: z.array(Generation) })),
      },
      400: error("Unknown before id"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/generations/{id}",
    summary: "A generation and its images",
    request: { params: idParams },
    responses: {
      200: { description: "The generation", ...json(Generation) },
      404: error("Unknown id"),
    },
  });
  r.registerPath({
    method: "delete",
    path: "/api/generations/{id}",
    summary: "Cancel a queued or running generation",
    request: { params: idParams },
    responses: {
      202: plain("Cancelling"),
      400: error("Already finished"),
      404: error("Unknown id"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/generations/{id}/events",
    summary:
      "Progress as Server-Sent Events: queued, started, step, image, blocked, done (with the 202 answer's notices), error; each event's id is its number in the job's sequence",
    request: {
      params: idParams,
      headers: z.object({
        "Last-Event-ID": z
          .string()
          .optional()
          .describe("Only the events after this id (a reconnect)"),
      }),
    },
    responses: {
      200: {
        description: "Server-Sent Events",
        content: { "text/event-stream": { schema: z.string() } },
      },
      400: error("Last-Event-ID is not an event id"),
      404: error("Unknown id"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/images/{file}",
    summary:
      "An image as PNG, JPEG or WebP (by extension, ?format= or Accept), optionally ?size= (longest side)",
    request: {
      params: z.object({
        file: z.string().describe("the image id, optionally with .png, .jpg, .jpeg or .webp"),
      }),
      query: z.object({
        format: z.enum(imageFormats).optional(),
        size: z.coerce.number().int().min(16).max(2048).optional(),
      }),
    },
    responses: {
      200: {
        description: "The image",
        content: Object.fromEntries(
          imageFormats.map((f) => [`image/${f}`, { schema: z.string() }])
        ),
      },
      404: error("Unknown image"),
    },
  });
  r.registerPath({
    method: "post",
    path: "/api/feedback",
    summary: "Rate an image",
    request: { body: body(FeedbackRequest) },
    responses: { 201: plain("Stored"), 404: error("Unknown image") },
  });
  r.registerPath({
    method: "post",
    path: "/api/arena/battles",
    summary:
      "A battle: two pictures of the prompt by two different contenders, anonymous and in random order (waits for both)",
    request: { body: body(ArenaBattleRequest) },
    responses: {
      201: plain("{id, left: {imageUrl}, right: {imageUrl}}"),
      400: error(
        "Invalid request, or content_policy_violation (the prompt, or a picture withheld by the image filter)"
      ),
      409: error("arena_unavailable: turned off by policy, or fewer than two contenders"),
      429: error("Rate limited; see Retry-After"),
      503: error("Queue full; see Retry-After"),
    },
  });
  r.registerPath({
    method: "post",
    path: "/api/arena/battles/{id}/vote",
    summary: "Vote on a battle (once per user) and see which contender drew which picture",
    request: { params: idParams, body: body(ArenaVoteRequest) },
    responses: {
      200: plain("{id, winner, left: {contender}, right: {contender}}"),
      404: error("Unknown battle"),
      409: error("already_voted: this user has voted on this battle"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/arena/battles/{id}/images/{side}",
    summary: "A battle's picture (PNG); side is left or right",
    request: { params: z.object({ id: z.string(), side: z.enum(["left", "right"]) }) },
    responses: {
      200: { description: "The picture", content: { "image/png": { schema: z.string() } } },
      404: error("Unknown battle or side, or the picture is past retention"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/arena/leaderboard",
    summary:
      "Bradley–Terry scores (1000 + 400·log10 strength, mean 1000) with 95% bootstrap intervals, best first",
    request: {
      query: z.object({
        category: z.string().optional().describe("A prompt category; all prompts when absent"),
      }),
    },
    responses: {
      200: plain(
        "{contenders: [{name, score, ci95, battles, wins, ties, losses, provisional}], votes, updatedAt, category, categories}"
      ),
      400: error("Unknown category"),
    },
  });
  r.registerPath({
    method: "post",
    path: "/v1/images/generations",
    summary: "OpenAI Images API compatible generation (waits for the result)",
    request: { body: body(OpenAIImageRequest) },
    responses: {
      200: plain("{created, data: [{b64_json} | {url}]}"),
      400: error("Invalid request or content_policy_violation"),
      429: error("Rate limited"),
      503: error(
        "Queue full, storage_unavailable, safety_unavailable, or interrupted by a shutdown; see Retry-After"
      ),
    },
  });
  r.registerPath({
    method: "post",
    path: "/v1/images/edits",
    summary:
      "OpenAI Images API compatible edit: a picture changed as the prompt says (multipart; waits for the result)",
    request: {
      body: multipart(
        OpenAIEditRequest.extend({
          image: picture(),
          mask: file("Refused: inpainting is not supported").optional(),
        })
      ),
    },
    responses: {
      200: plain("{created, data: [{b64_json} | {url}], size}"),
      400: error(
        "Invalid request, a mask, a model that cannot start from a picture, or content_policy_violation"
      ),
      413: error("The picture is larger than LUMEN_MAX_PICTURE_BYTES"),
      503: error("Queue full, storage_unavailable, or interrupted by a shutdown; see Retry-After"),
    },
  });
  r.registerPath({
    method: "post",
    path: "/v1/images/variations",
    summary:
      "OpenAI Images API compatible variations of a picture, without a prompt (multipart; strength 0.7 unless given)",
    request: { body: multipart(OpenAIVariationRequest.extend({ image: picture() })) },
    responses: {
      200: plain("{created, data: [{b64_json} | {url}], size}"),
      400: error("Invalid request or content_policy_violation"),
      413: error("The picture is larger than LUMEN_MAX_PICTURE_BYTES"),
      503: error("Queue full, storage_unavailable, or interrupted by a shutdown; see Retry-After"),
    },
  });
  r.registerPath({
    method: "get",
    path: "/api/policy",
    summary:
      "What this organisation allows (models, sizes, count, safety level) and whether sign-in is required; public",
    responses: { 200: plain("Policy") },
  });
  r.registerPath({
    method: "get",
    path: "/api/models",
    summary: "Installed models",
    responses: { 200: plain("{models: [...]}") },
  });
  r.registerPath({
    method: "get",
    path: "/api/openapi.json",
    summary: "This document",
    responses: { 200: plain("OpenAPI 3.1") },
  });
  r.registerPath({
    method: "get",
    path: "/healthz",
    summary: "Liveness",
    responses: { 200: plain("ok") },
  });
  r.registerPath({
    method: "get",
    path: "/readyz",
    summary: "Readiness: model loaded and warmed, data directory and image storage writable",
    responses: {
      200: plain("ready"),
      503: plain(
        "starting, or storage_unavailable (detail names the directory or bucket and the cause)"
      ),
    },
  });
  r.registerPath({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    responses: { 200: plain("text/plain") },
  });
  return r;
}

let document: ReturnType<OpenApiGeneratorV31["generateDocument"]> | undefined;

export function openApiDocument() {
  document ??= new OpenApiGeneratorV31([
    ...components(),
    ...registry().definitions,
  ]).generateDocument({
    openapi: "3.1.0",
    info: {
      title: "Lumen API",
      version: "1",
      description:
        "Self-hosted text-to-image generation. Errors share one shape: {error: {code, message, requestId}}. " +
        "When sign-in is on, every /api and /v1 route but /api/policy and /api/openapi.json needs a Microsoft Entra ID bearer token.",
    },
  });
  return document;
}
