// What the task pane makes of the image filter's verdicts on a running generation: some pictures
// withheld still ends as a result, every picture withheld ends as a blocked generation.
import { describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import type { GenerationEvent } from "../../contract";
import { ApiError } from "../../addin/api/client";
import {
  announcement,
  initialState,
  problemFrom,
  reducer,
  type GenerationState,
} from "../../addin/shared/generation";

function run(events: GenerationEvent[]): GenerationState {
  let state = reducer(initialState, {
    type: "submit",
    request: { prompt: "northern lights over a frozen lake", n: 2 },
  });
  state = reducer(state, { type: "accepted", id: "g1", position: 0 });
  for (const event of [{ type: "started", steps: 8, n: 2 } as const, ...events])
    state = reducer(state, { type: "event", event });
  return state;
}

const image = (index: number): GenerationEvent => ({
  type: "image",
  id: `i${index}`,
  index,
  seed: 40 + index,
  url: `/api/images/i${index}`,
  width: 512,
  height: 512,
});
const withheld = (index: number): GenerationEvent => ({
  type: "blocked",
  category: "sexual",
  index,
  message: "The generated image was withheld.",
});

describe("generation state and the image filter", () => {
  it("ends done, with the images and a note of each withheld one, when some pass", () => {
    const state = run([withheld(0), image(1), withheld(0), { type: "done", status: "done" }]);
    assert.strictEqual(state.phase, "done");
    expect(state.images.map((i) => i.index)).toStrictEqual([1]);
    // a replayed verdict counts once
    expect(state.withheld).toStrictEqual([{ index: 0, category: "sexual" }]);
    assert.strictEqual(state.problem, undefined);
  });

  it("ends stopped as blocked, naming the category, when every image is withheld", () => {
    const state = run([withheld(0), withheld(1), { type: "done", status: "blocked" }]);
    assert.strictEqual(state.phase, "stopped");
    expect(state.problem).toStrictEqual({
      kind: "blocked",
      category: "sexual",
      message: "Every image was withheld by the content filter.",
    });
  });

  it("stops as blocked at once when the prompt itself is refused", () => {
    const state = run([
      { type: "blocked", category: "violence", message: "The prompt was blocked." },
    ]);
    assert.strictEqual(state.phase, "stopped");
    expect(state.problem).toStrictEqual({
      kind: "blocked",
      category: "violence",
      message: "The prompt was blocked.",
    });
  });
});

describe("a refused starting picture", () => {
  it("is the picture's problem, in the server's words, when the server names the image field", () => {
    const type = problemFrom(
      new ApiError(
        400,
        "invalid_request",
        "image: gif pictures are not accepted; send a PNG, JPEG or WebP file",
        { param: "image" }
      )
    );
    expect(type).toStrictEqual({
      kind: "invalid",
      message: "image: gif pictures are not accepted; send a PNG, JPEG or WebP file",
      picture: true,
    });
    const size = problemFrom(
      new ApiError(413, "payload_too_large", "image: the picture is 5.2 MB; at most 4.0 MB", {
        param: "image",
      })
    );
    expect([size.kind, (size as { picture?: boolean }).picture]).toStrictEqual(["invalid", true]);
    // A 413 for anything else is no fault of a field the person can fix.
    assert.strictEqual(
      problemFrom(new ApiError(413, "payload_too_large", "too large")).kind,
      "failed"
    );
  });

  it("says the starting picture was blocked, not the prompt", () => {
    const problem = problemFrom(
      new ApiError(
        400,
        "content_policy_violation",
        "The picture to start from is not allowed by the content policy.",
        { category: "sexual", param: "image" }
      )
    );
    expect(problem).toStrictEqual({
      kind: "blocked",
      category: "sexual",
      message: "The picture to start from is not allowed by the content policy.",
      picture: true,
    });
    const state: GenerationState = { ...initialState, phase: "stopped", problem };
    assert.strictEqual(
      announcement(state),
      "Blocked: the starting picture (sexual content). No image was generated."
    );
    const prompt = problemFrom(
      new ApiError(400, "content_policy_violation", "no", { category: "sexual" })
    );
    assert.strictEqual(
      announcement({ ...initialState, phase: "stopped", problem: prompt }),
      "Blocked: sexual content. No image was generated."
    );
  });
});
