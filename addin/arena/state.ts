// One arena battle as a reducer: prompt → painting both pictures → vote → reveal, or a problem
// (blocked, busy, unreachable, already voted, failed) with its way forward.
import type { ArenaBattle, ArenaReveal, ArenaWinner } from "../../contract";
import { ApiError } from "../api/client";
import { categoryName, problemFrom, type Problem } from "../shared/generation";

export type ArenaPhase = "idle" | "painting" | "voting" | "sending" | "revealed" | "stopped";

export interface ArenaState {
  phase: ArenaPhase;
  prompt: string;
  battle?: ArenaBattle;
  /** The vote being sent or taken. */
  winner?: ArenaWinner;
  reveal?: ArenaReveal;
  problem?: Problem;
}

export const initialArena: ArenaState = { phase: "idle", prompt: "" };

export type ArenaAction =
  | { type: "start"; prompt: string }
  | { type: "painted"; battle: ArenaBattle }
  | { type: "vote"; winner: ArenaWinner }
  | { type: "revealed"; reveal: ArenaReveal }
  | { type: "failed"; error: unknown };

export function arenaReducer(state: ArenaState, action: ArenaAction): ArenaState {
  switch (action.type) {
    case "start":
      return { phase: "painting", prompt: action.prompt };
    case "painted":
      return { ...state, phase: "voting", battle: action.battle, problem: undefined };
    case "vote":
      return state.phase === "voting"
        ? { ...state, phase: "sending", winner: action.winner, problem: undefined }
        : state;
    case "revealed":
      return {
        ...state,
        phase: "revealed",
        winner: action.reveal.winner,
        reveal: action.reveal,
        problem: undefined,
      };
    case "failed": {
      const problem = problemFrom(action.error);
      // A vote that fails leaves the pictures up to vote again, unless it was already counted.
      if (state.phase === "sending") {
        const counted = action.error instanceof ApiError && action.error.code === "already_voted";
        return {
          ...state,
          phase: counted ? "stopped" : "voting",
          winner: counted ? state.winner : undefined,
          problem,
        };
      }
      return { ...state, phase: "stopped", problem };
    }
  }
}

export const isBusy = (phase: ArenaPhase) => phase === "painting" || phase === "sending";

export const VOTE_LABELS: Record<ArenaWinner, string> = {
  left: "A is better",
  right: "B is better",
  tie: "It's a tie",
  both_bad: "Both are bad",
};

/** What the live region says about the battle. */
export function arenaAnnouncement(state: ArenaState): string {
  switch (state.phase) {
    case "idle":
      return "";
    case "painting":
      return "Painting two pictures of your prompt…";
    case "voting":
      return state.problem
        ? `Your vote wasn't counted: ${state.problem.message}`
        : "Both pictures are ready. Which one is better?";
    case "sending":
      return "Sending your vote…";
    case "revealed": {
      const r = state.reveal!;
      return `Vote counted: ${VOTE_LABELS[r.winner]}. Picture A was ${r.left.contender}; picture B was ${r.right.contender}.`;
    }
    case "stopped": {
      const p = state.problem;
      if (!p) return "";
      if (p.kind === "blocked")
        return `Blocked by the content filter (${categoryName(p.category)}). Try another prompt.`;
      return p.message;
    }
  }
}
