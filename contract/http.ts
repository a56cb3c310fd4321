// The HTTP contract: request and response shapes shared by the routes, the jobs, the store, the
// add-in and the OpenAPI document (backend/api/openapi.ts).
import { z } from "zod";
import { imageFormats } from "./formats";

export const aspects = ["square", "landscape", "wide", "portrait"] as const;
export const styles = ["none", "photo", "cinematic", "illustration"] as const;
export const MAX_PROMPT_LENGTH = 2000;

/** A letter, digit, punctuation mark or symbol: what makes a prompt more than spaces, zero-width or control characters. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
const prompt = z
  .string()
  .trim()
  .min(1, "prompt must not be empty")
  .max(MAX_PROMPT_LENGTH, `prompt must be at most ${MAX_PROMPT_LENGTH} characters`)
  .refine((text) => VISIBLE.test(text), "prompt must contain a visible character");
const side = z.number().int().min(64).max(2048);

export const GenerationRequest = z
  .object({
    prompt,
    negativePrompt: z.string().max(MAX_PROMPT_LENGTH).optional(),
    n: z.number().int().min(1).max(4).default(1),
    width: side.optional(),
    height: side.optional(),
    aspect: z
      .enum(aspects)
      .optional()
      .describe("square 1:1, landscape 4:3, wide 16:9 (slides), portrait 3:4"),
    steps: z.number().int().min(1).max(50).optional(),
    guidance: z.number().min(0).max(20).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional(),
    style: z.enum(styles).default("none"),
    model: z.string().min(1).max(100).optional(),
    image: z
      .string()
      .regex(/^data:/, "image must be a data: URL (data:image/png;base64,…)")
      .optional()
      .describe(
        "a picture to start from, as a data: URL of a PNG, JPEG or WebP file; needs a model that can encode pictures"
      ),
    strength: z
      .number()
      .gt(0)
      .max(1)
      .optional()
      .describe("with image: how far from the picture to go, above 0 to 1 (default 0.8)"),
  })
  .strict()
  .refine((r) => r.strength === undefined || r.image !== undefined, {
    message: "strength needs an image to start from",
    path: ["strength"],
  })
  .refine((r) => (r.width === undefined) === (r.height === undefined), {
    message: "width and height must be given together",
    path: ["width"],
  })
  .refine((r) => !(r.aspect && r.width), {
    message: "give either aspect or width/height, not both",
    path: ["aspect"],
  });
export type GenerationRequest = z.input<typeof GenerationRequest>;
export type ParsedGenerationRequest = z.output<typeof GenerationRequest>;

/**
 * Something the user should know about a generation that does not stop it. `unknown_words`: the
 * prompt has words the model's tokenizer cannot read, so they will not shape the picture.
 */
export const Notice = z.object({
  code: z.literal("unknown_words"),
  words: z
    .array(z.string())
    .min(1)
    .describe("the words, as the tokenizer normalises them, each once"),
  message: z
    .string()
    .describe("one sentence for people: what the model paints and the words it doesn't know"),
});
export type Notice = z.infer<typeof Notice>;

/** The 202 answer of POST /api/generations. */
export const GenerationAccepted = z.object({
  id: z.string(),
  status: z.literal("queued"),
  position: z.number().int().min(0),
  links: z.object({ self: z.string(), events: z.string() }),
  notices: z.array(Notice).optional().describe("absent when there is nothing to say"),
});
export type GenerationAccepted = z.infer<typeof GenerationAccepted>;

export const generationStatuses = [
  "queued",
  "running",
  "done",
  "blocked",
  "cancelled",
  "failed",
] as const;
export type GenerationStatus = (typeof generationStatuses)[number];
export const finishedStatuses: readonly GenerationStatus[] = [
  "done",
  "blocked",
  "cancelled",
  "failed",
];

/** An image of a generation as history shows it; blocked images have no file. */
export const ImageSummary = z.object({
  id: z.string(),
  index: z.number().int().min(0),
  seed: z.number().int().min(0),
  url: z.string().nullable().describe("the PNG; null for a blocked image"),
  width: z.number().int().nullable().describe("null for a blocked image recorded without its size"),
  height: z.number().int().nullable(),
  blocked: z.boolean(),
  category: z.string().nullable().describe("why the image was blocked"),
});
export type ImageSummary = z.infer<typeof ImageSummary>;

/** GET /api/generations/:id, and each item of GET /api/generations. */
export const Generation = z.object({
  id: z.string(),
  status: z.enum(generationStatuses),
  prompt: z.string().nullable().describe("null when the organisation does not store prompts"),
  model: z.string(),
  params: z.record(z.string(), z.unknown()),
  createdAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
  error: z.string().nullable(),
  category: z.string().nullable(),
  images: z.array(ImageSummary),
  links: z.object({ self: z.string(), events: z.string() }),
});
export type Generation = z.infer<typeof Generation>;

/** GET /api/generations: this client's generations, newest first, a page at a time. */
export const GenerationListQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe("page size (default 20; the server clamps other values to 1–100)"),
  before: z.string().optional().describe("the id of the last generation of the previous page"),
});

/** Server-Sent Events on GET /api/generations/:id/events; the `event:` field is the type. */
export type GenerationEvent =
  | { type: "queued"; position: number }
  | { type: "started"; steps: number; n: number }
  | { type: "step"; step: number; steps: number; previews?: string[] /* data: URLs, small */ }
  | {
      type: "image";
      id: string;
      index: number;
      seed: number;
      url: string;
      width: number;
      height: number;
    }
  | { type: "blocked"; category: string; index?: number; message: string }
  | { type: "done"; status: GenerationStatus; notices?: Notice[] }
  | { type: "error"; code: string; message: string };

/** GET /api/policy: what this organisation allows; the task pane hides the rest. */
export interface Policy {
  safetyLevel: "strict" | "moderate";
  models: string[];
  defaultModel: string;
  maxImagesPerRequest: number;
  maxSize: number;
  aspects: readonly (typeof aspects)[number][];
  styles: readonly (typeof styles)[number][];
  /** Step previews are sent (not under the strict level). */
  previews: boolean;
  rateLimit: { windowSeconds: number; max: number };
  storePrompts: boolean;
  retentionDays: number;
  auth:
    | { required: false }
    | { required: true; provider: "entra"; clientId: string | null; audience: string };
  /** The arena is on: the policy allows it and there are two or more contenders. */
  arena: { enabled: boolean };
}

export const FeedbackRequest = z
  .object({
    imageId: z.string().min(1).max(100),
    rating: z.enum(["up", "down"]),
    comment: z.string().max(2000).optional(),
  })
  .strict();
export type FeedbackRequest = z.input<typeof FeedbackRequest>;

export const arenaWinners = ["left", "right", "tie", "both_bad"] as const;
export type ArenaWinner = (typeof arenaWinners)[number];

export const ArenaBattleRequest = z.object({ prompt }).strict();
export type ArenaBattleRequest = z.input<typeof ArenaBattleRequest>;

export const ArenaVoteRequest = z.object({ winner: z.enum(arenaWinners) }).strict();
export type ArenaVoteRequest = z.input<typeof ArenaVoteRequest>;

/** POST /api/arena/battles: two pictures of one prompt by two contenders, in random order, unnamed. */
export interface ArenaBattle {
  id: string;
  left: { imageUrl: string };
  right: { imageUrl: string };
}

/** POST /api/arena/battles/:id/vote: the vote taken, and who drew which picture. */
export interface ArenaReveal {
  id: string;
  winner: ArenaWinner;
  left: { contender: string };
  right: { contender: string };
}

export interface ArenaStanding {
  name: string;
  /** Bradley–Terry score: 1000 + 400·log10(strength), the contenders' mean being 1000. */
  score: number;
  /** 95% bootstrap interval of the score. */
  ci95: [number, number];
  battles: number;
  wins: number;
  /** Ties and "both bad" votes, each half a win. */
  ties: number;
  losses: number;
  /** Fewer battles than the bootstrap needs to show the uncertainty fairly. */
  provisional: boolean;
}

/** GET /api/arena/leaderboard[?category=]: best first. */
export interface ArenaLeaderboard {
  contenders: ArenaStanding[];
  votes: number;
  /** Time of the last vote counted; null before the first. */
  updatedAt: string | null;
  /** The category shown; null for all prompts. */
  category: string | null;
  /** Every prompt category and its votes (all prompts, whatever the category shown). */
  categories: { name: string; label: string; votes: number }[];
}

/** OpenAI Images API request (POST /v1/images/generations). */
export const OpenAIImageRequest = z
  .object({
    prompt,
    n: z.number().int().min(1).max(4).default(1),
    size: z
      .string()
      .regex(/^\d{2,4}x\d{2,4}$/, 'size must look like "512x512"')
      .default("512x512"),
    response_format: z.enum(["b64_json", "url"]).default("b64_json"),
    user: z.string().max(256).optional(),
    model: z.string().max(100).optional(),
    quality: z.string().optional(),
    style: z.string().optional(),
    output_format: z.enum(imageFormats).optional(),
  })
  .passthrough();

/** Multipart fields of POST /v1/images/edits and /variations arrive as text; numbers are read from it. */
const openAIPictureFields = {
  n: z.coerce.number().int().min(1).max(4).default(1),
  size: z
    .string()
    .regex(/^\d{2,4}x\d{2,4}$/, 'size must look like "512x512"')
    .optional(),
  response_format: z.enum(["b64_json", "url"]).default("b64_json"),
  user: z.string().max(256).optional(),
  model: z.string().max(100).optional(),
  /** Lumen's own: how far from the picture to go (OpenAI's API has no such field). */
  strength: z.coerce.number().gt(0).max(1).optional(),
};

export const OpenAIEditRequest = z.object({ prompt, ...openAIPictureFields }).passthrough();
export const OpenAIVariationRequest = z.object(openAIPictureFields).passthrough();

export const errorCodes = {
  invalid_request: 400,
  content_policy_violation: 400,
  unauthorized: 401,
  forbidden: 403,
  tenant_not_allowed: 403,
  not_found: 404,
  already_voted: 409,
  arena_unavailable: 409,
  payload_too_large: 413,
  rate_limited: 429,
  queue_full: 503,
  not_ready: 503,
  model_unavailable: 503,
  storage_unavailable: 503,
  queue_unavailable: 503,
  interrupted: 503,
  safety_unavailable: 503,
  internal_error: 500,
} as const;
export type ErrorCode = keyof typeof errorCodes;

export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    requestId: string;
    type?: string;
    param?: string | null;
  };
}
