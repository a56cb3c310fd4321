// Runs generations against the server and keeps their state; one at a time per hook.
import { useCallback, useEffect, useReducer, useRef } from "react";
import type { GenerationRequest } from "../../contract";
import { ApiError } from "../api/client";
import { SignInError } from "../auth/errors";
import {
  problemFrom,
  initialState,
  reducer,
  isActive,
  type GenerationState,
  type Problem,
} from "./generation";
import { useLumen } from "./context";

export interface Generation {
  state: GenerationState;
  generate(request: GenerationRequest): Promise<void>;
  cancel(): Promise<void>;
  reset(): void;
}

/** Why the event stream ended early: a refusal the server explained, or a lost connection. */
function lostProblem(error: unknown): Problem {
  if (error instanceof ApiError || error instanceof SignInError) return problemFrom(error);
  return { kind: "unreachable", message: "Lost the connection to the Lumen server." };
}

export function useGeneration(onFinished?: (state: GenerationState) => void): Generation {
  const { client } = useLumen();
  const [state, dispatch] = useReducer(reducer, initialState);
  const stopListening = useRef<() => void>(() => {});
  const finished = useRef(onFinished);
  finished.current = onFinished;

  useEffect(() => () => stopListening.current(), []);

  const wasActive = useRef(false);
  useEffect(() => {
    const active = isActive(state.phase);
    if (wasActive.current && !active) finished.current?.(state);
    wasActive.current = active;
  }, [state]);

  const generate = useCallback(
    async (request: GenerationRequest) => {
      stopListening.current();
      dispatch({ type: "submit", request });
      try {
        const { id, position, notices } = await client.createGeneration(request);
        dispatch({ type: "accepted", id, position, notices });
        stopListening.current = client.followGeneration(
          id,
          (event) => dispatch({ type: "event", event }),
          (error) => dispatch({ type: "problem", problem: lostProblem(error) })
        );
      } catch (error) {
        dispatch({ type: "problem", problem: problemFrom(error) });
      }
    },
    [client]
  );

  const cancel = useCallback(async () => {
    if (!state.id || !isActive(state.phase)) return;
    dispatch({ type: "cancelling" });
    try {
      await client.cancelGeneration(state.id);
    } catch {
      // Already finished: the event stream reports how it ended.
    }
  }, [client, state.id, state.phase]);

  const reset = useCallback(() => {
    stopListening.current();
    dispatch({ type: "reset" });
  }, []);

  return { state, generate, cancel, reset };
}
