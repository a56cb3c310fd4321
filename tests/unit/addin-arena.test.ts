// The arena page's battle as a reducer: painting, voting, the reveal, and what each problem leaves.
import { strict as assert } from "node:assert";
import { describe, expect, it } from "@jest/globals";
import { ApiError, UnreachableError } from "../../addin/api/client";
import {
  arenaAnnouncement,
  arenaReducer,
  initialArena,
  isBusy,
  type ArenaState,
} from "../../addin/arena/state";

const battle = { id: "b1", left: { imageUrl: "/l" }, right: { imageUrl: "/r" } };
const reveal = {
  id: "b1",
  winner: "left" as const,
  left: { contender: "sd15" },
  right: { contender: "fast" },
};

function run(...actions: Parameters<typeof arenaReducer>[1][]): ArenaState {
  return actions.reduce(arenaReducer, initialArena);
}

describe("arena page state", () => {
  it("goes prompt → painting → voting → sending → revealed, and says so", () => {
    let s = run({ type: "start", prompt: "a lake" });
    assert.equal(s.phase, "painting");
    assert.ok(isBusy(s.phase));
    assert.match(arenaAnnouncement(s), /Painting two pictures/);
    s = arenaReducer(s, { type: "painted", battle });
    assert.equal(s.phase, "voting");
    assert.match(arenaAnnouncement(s), /Which one is better/);
    s = arenaReducer(s, { type: "vote", winner: "left" });
    assert.equal(s.phase, "sending");
    assert.equal(s.winner, "left");
    // A second click while the vote travels changes nothing.
    assert.equal(arenaReducer(s, { type: "vote", winner: "right" }), s);
    s = arenaReducer(s, { type: "revealed", reveal });
    assert.equal(s.phase, "revealed");
    assert.equal(
      arenaAnnouncement(s),
      "Vote counted: A is better. Picture A was sd15; picture B was fast."
    );
  });

  it("a vote that could not be sent leaves the pictures up to vote again", () => {
    const s = run(
      { type: "start", prompt: "a lake" },
      { type: "painted", battle },
      { type: "vote", winner: "tie" },
      { type: "failed", error: new UnreachableError("") }
    );
    assert.equal(s.phase, "voting");
    assert.equal(s.winner, undefined);
    assert.equal(s.problem?.kind, "unreachable");
    assert.match(arenaAnnouncement(s), /wasn't counted/);
  });

  it("a vote the server already has is not offered again", () => {
    const s = run(
      { type: "start", prompt: "a lake" },
      { type: "painted", battle },
      { type: "vote", winner: "right" },
      {
        type: "failed",
        error: new ApiError(
          409,
          "already_voted",
          "You have already voted on this battle; each person votes once."
        ),
      }
    );
    assert.equal(s.phase, "stopped");
    assert.match(arenaAnnouncement(s), /already voted/);
  });

  it("a blocked prompt stops the battle with the filter's category", () => {
    const s = run(
      { type: "start", prompt: "x" },
      {
        type: "failed",
        error: new ApiError(400, "content_policy_violation", "no", { category: "violence" }),
      }
    );
    assert.equal(s.phase, "stopped");
    expect(s.problem).toStrictEqual({ kind: "blocked", category: "violence", message: "no" });
    assert.match(arenaAnnouncement(s), /Blocked by the content filter \(violence\)/);
  });
});
