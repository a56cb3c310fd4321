// One generation's life as a reducer: submit → queued → running (steps, previews) → images →
// done, or one of the ways it can stop (blocked, cancelled, busy, unreachable, failed).
import type { GenerationEvent, GenerationRequest, Notice } from "../../contract";
import { ApiError, UnreachableError, isSignInRefusal } from "../api/client";
import { SignInError } from "../auth/errors";

export interface ResultImage {
  id: string;
  index: number;
  seed: number;
  width: number;
  height: number;
  prompt: string;
}

export type Phase =
  "idle" | "submitting" | "queued" | "running" | "cancelling" | "done" | "cancelled" | "stopped";

/** Why a generation stopped short; each kind has its own message and way forward. */
export type Problem =
  /** `picture`: the starting picture was refused, not the prompt. */
  | { kind: "blocked"; category: string; message: string; picture?: boolean }
  | { kind: "busy"; message: string; retryAt: number }
  | { kind: "unreachable"; message: string }
  | { kind: "invalid"; message: string; picture?: boolean }
  /** Not signed in, or the server refused the account: the sign-in banner says what to do. */
  | { kind: "signin"; message: string }
  | { kind: "failed"; message: string };

export interface GenerationState {
  phase: Phase;
  request?: GenerationRequest;
  id?: string;
  position: number;
  step: number;
  steps: number;
  /** Latest preview data URL per image index. */
  previews: string[];
  images: ResultImage[];
  /** Images the image filter withheld: index and category. */
  withheld: { index: number; category: string }[];
  /** What the server said about the prompt, e.g. words the model cannot read. */
  notices: Notice[];
  problem?: Problem;
}

export const initialState: GenerationState = {
  phase: "idle",
  position: 0,
  step: 0,
  steps: 0,
  previews: [],
  images: [],
  withheld: [],
  notices: [],
};

export type Action =
  | { type: "submit"; request: GenerationRequest }
  | { type: "accepted"; id: string; position: number; notices?: Notice[] }
  | { type: "event"; event: GenerationEvent }
  | { type: "cancelling" }
  | { type: "problem"; problem: Problem }
  | { type: "reset" };

export function isActive(phase: Phase): boolean {
  return (
    phase === "submitting" || phase === "queued" || phase === "running" || phase === "cancelling"
  );
}

const CATEGORY_NAMES: Record<string, string> = {
  sexual: "sexual content",
  minors: "content involving minors",
  violence: "violence",
  self_harm: "self-harm",
  hate: "hateful content",
  public_figures: "real public figures",
  torture: "torture",
  weapons: "making or using weapons",
  extremism: "violent extremism",
  illegal: "forged documents, counterfeits or drugs",
  animal_cruelty: "cruelty to animals",
  blocklist: "terms your organisation blocks",
};

export function categoryName(category: string): string {
  return CATEGORY_NAMES[category] ?? category.replace(/_/g, " ");
}

/** Turns whatever a request threw into the problem to show. */
export function problemFrom(error: unknown, now = Date.now()): Problem {
  if (error instanceof UnreachableError) return { kind: "unreachable", message: error.message };
  if (error instanceof SignInError || isSignInRefusal(error))
    return { kind: "signin", message: error.message };
  if (error instanceof ApiError) {
    // The server names the starting picture as the field at fault (its type, size or content).
    const picture = error.extra.param === "image";
    if (error.code === "content_policy_violation") {
      return {
        kind: "blocked",
        category: error.extra.category ?? "unknown",
        message: error.message,
        ...(picture ? { picture } : {}),
      };
    }
    if (picture && (error.status === 400 || error.status === 413))
      return { kind: "invalid", message: error.message, picture };
    if (
      error.code === "rate_limited" ||
      error.code === "queue_full" ||
      error.code === "not_ready"
    ) {
      const seconds = error.extra.retryAfterSeconds ?? 10;
      return { kind: "busy", message: error.message, retryAt: now + seconds * 1000 };
    }
    if (error.status === 400) return { kind: "invalid", message: error.message };
    return { kind: "failed", message: error.message };
  }
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}

function onEvent(state: GenerationState, event: GenerationEvent): GenerationState {
  switch (event.type) {
    case "queued":
      return state.phase === "cancelling"
        ? { ...state, position: event.position }
        : { ...state, phase: "queued", position: event.position };
    case "started":
      return {
        ...state,
        phase: state.phase === "cancelling" ? "cancelling" : "running",
        steps: event.steps,
        step: 0,
      };
    case "step": {
      const previews = event.previews?.length ? event.previews : state.previews;
      return { ...state, step: event.step, steps: event.steps, previews };
    }
    case "image": {
      if (state.images.some((image) => image.index === event.index)) return state; // replayed after a reconnect
      const image: ResultImage = {
        id: event.id,
        index: event.index,
        seed: event.seed,
        width: event.width,
        height: event.height,
        prompt: state.request?.prompt ?? "",
      };
      return { ...state, images: [...state.images, image].sort((a, b) => a.index - b.index) };
    }
    case "blocked":
      if (event.index === undefined) {
        return {
          ...state,
          phase: "stopped",
          problem: { kind: "blocked", category: event.category, message: event.message },
        };
      }
      if (state.withheld.some((w) => w.index === event.index)) return state;
      return {
        ...state,
        withheld: [...state.withheld, { index: event.index, category: event.category }],
      };
    case "done":
      // The done event repeats the 202 answer's notices; either one is enough to show them.
      if (event.notices?.length) state = { ...state, notices: event.notices };
      if (event.status === "cancelled") return { ...state, phase: "cancelled" };
      if (state.images.length === 0 && state.withheld.length > 0) {
        const category = state.withheld[0].category;
        const problem: Problem = {
          kind: "blocked",
          category,
          message: "Every image was withheld by the content filter.",
        };
        return { ...state, phase: "stopped", problem };
      }
      return { ...state, phase: "done" };
    case "error": {
      const message =
        event.code === "timeout"
          ? "The generation took too long and was stopped. Try fewer images or steps."
          : event.message;
      return { ...state, phase: "stopped", problem: { kind: "failed", message } };
    }
  }
}

export function reducer(state: GenerationState, action: Action): GenerationState {
  switch (action.type) {
    case "submit":
      return { ...initialState, phase: "submitting", request: action.request };
    case "accepted":
      return {
        ...state,
        id: action.id,
        position: action.position,
        notices: action.notices ?? [],
        phase: state.phase === "submitting" ? "queued" : state.phase,
      };
    case "event":
      return isActive(state.phase) ? onEvent(state, action.event) : state;
    case "cancelling":
      return { ...state, phase: "cancelling" };
    case "problem":
      return { ...state, phase: "stopped", problem: action.problem };
    case "reset":
      return initialState;
  }
}

/** A sentence for the screen-reader live region; only changes at moments worth announcing. */
export function announcement(state: GenerationState): string {
  const n = state.request?.n ?? 1;
  const images = n === 1 ? "1 image" : `${n} images`;
  switch (state.phase) {
    case "idle":
      return "";
    case "submitting":
      return `Starting ${images}.`;
    case "queued":
      return state.position > 1
        ? `Waiting in line: number ${state.position}.`
        : `Generating ${images}.`;
    case "running":
      return state.steps && state.step >= state.steps / 2
        ? "Halfway there."
        : `Generating ${images}.`;
    case "cancelling":
      return "Cancelling.";
    case "cancelled":
      return "Cancelled. Nothing was generated.";
    case "done": {
      const ready =
        state.images.length === 1
          ? "1 image is ready."
          : `${state.images.length} images are ready.`;
      const withheld = state.withheld.length
        ? ` ${state.withheld.length} withheld by the content filter.`
        : "";
      // Said with the result, the moment it explains; the notice bar shows it from the start.
      const notices = state.notices.map((n) => ` ${n.message}`).join("");
      return ready + withheld + notices;
    }
    case "stopped":
      if (state.problem?.kind === "blocked" && state.problem.picture)
        return `Blocked: the starting picture (${categoryName(state.problem.category)}). No image was generated.`;
      if (state.problem?.kind === "blocked")
        return `Blocked: ${categoryName(state.problem.category)}. No image was generated.`;
      if (state.problem?.kind === "signin")
        return "Not generated: sign-in is needed. The message at the top of the page says why.";
      return state.problem?.message ?? "Stopped.";
  }
}
