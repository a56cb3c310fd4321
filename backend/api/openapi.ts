// The OpenAPI 3.1 description of the HTTP API, served at /api/openapi.json. Request bodies come
// from the same zod schemas the routes validate with, so they cannot drift apart.
import { z } from "zod";
import { ArenaBattleRequest, ArenaVoteRequest, FeedbackRequest, GenerationAccepted, GenerationRequest, Notice, OpenAIImageRequest, errorCodes } from "./contract";

const json = (schema: object) => ({ content: { "application/json": { schema } } });
const body = (schema: z.ZodType) => ({ required: true, ...json(z.toJSONSchema(schema, { io: "input", unrepresentable: "any" })) });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: "output", unrepresentable: "any" });
const error = (description: string) => ({ description, ...json(ref("Error")) });
const idParam = (name = "id") => ({ name, in: "path", required: true, schema: { type: "string" } });

export function openApiDocument() {
  return {
    openapi: "3.1.0",
    info: {
      title: "Lumen API",
      version: "1",
      description:
        "Self-hosted text-to-image generation. Errors share one shape: {error: {code, message, requestId}}. " +
        "When sign-in is on, every /api and /v1 route but /api/policy and /api/openapi.json needs a Microsoft Entra ID bearer token.",
    },
    paths: {
      "/api/generations": {
        post: {
          summary: "Queue a generation",
          requestBody: body(GenerationRequest),
          responses: {
            "202": {
              description: "Queued; follow links.events for progress. `notices` says what the user should know, e.g. words the model cannot read",
              ...json(schemaOf(GenerationAccepted)),
            },
            "400": error("Invalid request, unknown model, or content_policy_violation (with category)"),
            "413": error("Body too large"),
            "429": error("Rate limited; see Retry-After"),
            "503": error("Queue full, storage_unavailable, safety_unavailable or not_ready; see Retry-After"),
          },
        },
        get: {
          summary: "This client's generations (with sign-in on: this user's), newest first",
          parameters: [
            { name: "limit", in: "query", schema: { type: "integer", minimum: 1, maximum: 100 } },
            { name: "before", in: "query", description: "Id of the last generation of the previous page", schema: { type: "string" } },
          ],
          responses: { "200": { description: "{items: Generation[]}" }, "400": error("Unknown before id") },
        },
      },
      "/api/generations/{id}": {
        get: { summary: "A generation and its images", parameters: [idParam()], responses: { "200": { description: "Generation" }, "404": error("Unknown id") } },
        delete: {
          summary: "Cancel a queued or running generation",
          parameters: [idParam()],
          responses: { "202": { description: "Cancelling" }, "400": error("Already finished"), "404": error("Unknown id") },
        },
      },
      "/api/generations/{id}/events": {
        get: {
          summary: "Progress as Server-Sent Events: queued, started, step, image, blocked, done (with the 202 answer's notices), error; each event's id is its number in the job's sequence",
          parameters: [
            idParam(),
            { name: "Last-Event-ID", in: "header", description: "Only the events after this id (a reconnect)", schema: { type: "string" } },
          ],
          responses: { "200": { description: "text/event-stream" }, "400": error("Last-Event-ID is not an event id"), "404": error("Unknown id") },
        },
      },
      "/api/images/{file}": {
        get: {
          summary: "An image as PNG, JPEG or WebP (by extension, ?format= or Accept), optionally ?size= (longest side)",
          parameters: [
            idParam("file"),
            { name: "format", in: "query", schema: { enum: ["png", "jpeg", "webp"] } },
            { name: "size", in: "query", schema: { type: "integer", minimum: 16, maximum: 2048 } },
          ],
          responses: { "200": { description: "image/png, image/jpeg or image/webp" }, "404": error("Unknown image") },
        },
      },
      "/api/feedback": {
        post: { summary: "Rate an image", requestBody: body(FeedbackRequest), responses: { "201": { description: "Stored" }, "404": error("Unknown image") } },
      },
      "/api/arena/battles": {
        post: {
          summary: "A battle: two pictures of the prompt by two different contenders, anonymous and in random order (waits for both)",
          requestBody: body(ArenaBattleRequest),
          responses: {
            "201": { description: "{id, left: {imageUrl}, right: {imageUrl}}" },
            "400": error("Invalid request, or content_policy_violation (the prompt, or a picture withheld by the image filter)"),
            "409": error("arena_unavailable: turned off by policy, or fewer than two contenders"),
            "429": error("Rate limited; see Retry-After"),
            "503": error("Queue full; see Retry-After"),
          },
        },
      },
      "/api/arena/battles/{id}/vote": {
        post: {
          summary: "Vote on a battle (once per user) and see which contender drew which picture",
          parameters: [idParam()],
          requestBody: body(ArenaVoteRequest),
          responses: {
            "200": { description: "{id, winner, left: {contender}, right: {contender}}" },
            "404": error("Unknown battle"),
            "409": error("already_voted: this user has voted on this battle"),
          },
        },
      },
      "/api/arena/battles/{id}/images/{side}": {
        get: {
          summary: "A battle's picture (PNG); side is left or right",
          parameters: [idParam(), { name: "side", in: "path", required: true, schema: { enum: ["left", "right"] } }],
          responses: { "200": { description: "image/png" }, "404": error("Unknown battle or side, or the picture is past retention") },
        },
      },
      "/api/arena/leaderboard": {
        get: {
          summary: "Bradley–Terry scores (1000 + 400·log10 strength, mean 1000) with 95% bootstrap intervals, best first",
          parameters: [{ name: "category", in: "query", schema: { type: "string" }, description: "A prompt category; all prompts when absent" }],
          responses: { "200": { description: "{contenders: [{name, score, ci95, battles, wins, ties, losses}], votes, updatedAt, category, categories}" }, "400": error("Unknown category") },
        },
      },
      "/v1/images/generations": {
        post: {
          summary: "OpenAI Images API compatible generation (waits for the result)",
          requestBody: body(OpenAIImageRequest),
          responses: {
            "200": { description: "{created, data: [{b64_json} | {url}]}" },
            "400": error("Invalid request or content_policy_violation"),
            "429": error("Rate limited"),
            "503": error("Queue full, storage_unavailable, safety_unavailable, or interrupted by a shutdown; see Retry-After"),
          },
        },
      },
      "/v1/images/edits": {
        post: {
          summary: "OpenAI Images API compatible edit: a picture changed as the prompt says (multipart; waits for the result)",
          requestBody: {
            content: {
              "multipart/form-data": {
                schema: {
                  type: "object",
                  required: ["image", "prompt"],
                  properties: {
                    image: { type: "string", format: "binary", description: "PNG, JPEG or WebP, at most LUMEN_MAX_PICTURE_BYTES" },
                    mask: { type: "string", format: "binary", description: "Refused: inpainting is not supported" },
                    prompt: { type: "string" },
                    n: { type: "integer", minimum: 1, maximum: 4 },
                    size: { type: "string", description: '"WxH"; default: the picture\'s aspect at the model\'s size' },
                    response_format: { type: "string", enum: ["b64_json", "url"] },
                    strength: { type: "number", description: "Lumen's own: above 0 to 1 (default 0.8)" },
                  },
                },
              },
            },
          },
          responses: {
            "200": { description: "{created, data: [{b64_json} | {url}], size}" },
            "400": error("Invalid request, a mask, a model that cannot start from a picture, or content_policy_violation"),
            "413": error("The picture is larger than LUMEN_MAX_PICTURE_BYTES"),
            "503": error("Queue full, storage_unavailable, or interrupted by a shutdown; see Retry-After"),
          },
        },
      },
      "/v1/images/variations": {
        post: {
          summary: "OpenAI Images API compatible variations of a picture, without a prompt (multipart; strength 0.7 unless given)",
          responses: {
            "200": { description: "{created, data: [{b64_json} | {url}], size}" },
            "400": error("Invalid request or content_policy_violation"),
            "413": error("The picture is larger than LUMEN_MAX_PICTURE_BYTES"),
          },
        },
      },
      "/api/policy": {
        get: {
          summary: "What this organisation allows (models, sizes, count, safety level) and whether sign-in is required; public",
          responses: { "200": { description: "Policy" } },
        },
      },
      "/api/models": { get: { summary: "Installed models", responses: { "200": { description: "{models: [...]}" } } } },
      "/api/openapi.json": { get: { summary: "This document", responses: { "200": { description: "OpenAPI 3.1" } } } },
      "/healthz": { get: { summary: "Liveness", responses: { "200": { description: "ok" } } } },
      "/readyz": {
        get: {
          summary: "Readiness: model loaded and warmed, data directory and image storage writable",
          responses: { "200": { description: "ready" }, "503": { description: "starting, or storage_unavailable (detail names the directory or bucket and the cause)" } },
        },
      },
      "/metrics": { get: { summary: "Prometheus metrics", responses: { "200": { description: "text/plain" } } } },
    },
    components: {
      schemas: {
        Notice: schemaOf(Notice),
        Error: {
          type: "object",
          required: ["error"],
          properties: {
            error: {
              type: "object",
              required: ["code", "message", "requestId"],
              properties: {
                code: { enum: Object.keys(errorCodes) },
                message: { type: "string" },
                requestId: { type: "string" },
                category: { type: "string" },
              },
            },
          },
        },
      },
    },
  };
}
