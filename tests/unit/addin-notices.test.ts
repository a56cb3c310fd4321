// What the add-in makes of the server's notices: the client passes on the 202 answer's, the state
// keeps them for the notice bar (or takes them from the done event), the screen-reader sentence
// says them with the result, and a new generation starts without them.
import { afterEach, describe, expect, it } from "@jest/globals";
import assert from "node:assert";
import { LumenClient } from "../../addin/api/client";
import {
  announcement,
  initialState,
  reducer,
  type GenerationState,
} from "../../addin/shared/generation";
import type { GenerationEvent, Notice } from "../../contract";
import { json, stubFetch, type FetchStub } from "./addin-fetch-stub";

const NOTICE: Notice = {
  code: "unknown_words",
  words: ["bowl", "ramen", "table"],
  message:
    "Lumen's built-in model paints landscapes and light; it doesn't know: bowl, ramen, table.",
};
const IMAGE: GenerationEvent = {
  type: "image",
  id: "i0",
  index: 0,
  seed: 1,
  url: "/api/images/i0",
  width: 512,
  height: 512,
};

function run(notices: Notice[] | undefined, events: GenerationEvent[]): GenerationState {
  let state = reducer(initialState, {
    type: "submit",
    request: { prompt: "a bowl of ramen on a table" },
  });
  state = reducer(state, { type: "accepted", id: "g1", position: 1, notices });
  for (const event of events) state = reducer(state, { type: "event", event });
  return state;
}

describe("notices in the add-in", () => {
  let fetchStub: FetchStub | undefined;
  afterEach(() => fetchStub?.restore());

  it("the client returns the 202 answer's notices, and none when it has none", async () => {
    fetchStub = stubFetch((_, i) =>
      json(
        i === 0
          ? { id: "g1", status: "queued", position: 2, notices: [NOTICE] }
          : { id: "g2", status: "queued", position: 0 },
        202
      )
    );
    const client = new LumenClient("https://lumen.test");
    expect(await client.createGeneration({ prompt: "a bowl of ramen" })).toStrictEqual({
      id: "g1",
      position: 2,
      notices: [NOTICE],
    });
    expect(await client.createGeneration({ prompt: "a lake" })).toStrictEqual({
      id: "g2",
      position: 0,
      notices: [],
    });
  });

  it("keeps them from the 202 answer through the result, and says them with it", () => {
    const queued = run([NOTICE], []);
    expect(queued.notices).toStrictEqual([NOTICE]);
    assert.ok(!announcement(queued).includes("doesn't know"), "said once, with the result");
    const done = run(
      [NOTICE],
      [
        { type: "started", steps: 8, n: 1 },
        IMAGE,
        { type: "done", status: "done", notices: [NOTICE] },
      ]
    );
    assert.strictEqual(done.phase, "done");
    expect(done.notices).toStrictEqual([NOTICE]);
    assert.strictEqual(announcement(done), `1 image is ready. ${NOTICE.message}`);
  });

  it("takes them from the done event when the answer had none to give", () => {
    const state = run(undefined, [IMAGE, { type: "done", status: "done", notices: [NOTICE] }]);
    expect(state.notices).toStrictEqual([NOTICE]);
  });

  it("has none for a prompt the model knows, and a new generation forgets the last one's", () => {
    const plain = run([], [IMAGE, { type: "done", status: "done" }]);
    expect(plain.notices).toStrictEqual([]);
    assert.strictEqual(announcement(plain), "1 image is ready.");
    const next = reducer(run([NOTICE], [IMAGE, { type: "done", status: "done" }]), {
      type: "submit",
      request: { prompt: "a lake" },
    });
    expect(next.notices).toStrictEqual([]);
  });
});
