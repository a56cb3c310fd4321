// How a generation stopped short, and the way forward: edit (blocked), retry (unreachable),
// wait (busy, with a countdown from Retry-After), or start again (cancelled).
import {
  Button,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
} from "@fluentui/react-components";
import { ArrowClockwise20Regular } from "@fluentui/react-icons";
import { useEffect, useState } from "react";
import { categoryName, type GenerationState } from "../generation";

function useCountdown(until: number | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!until) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [until]);
  return until ? Math.max(0, Math.ceil((until - now) / 1000)) : 0;
}

export function StatusBanner({ state, onRetry }: { state: GenerationState; onRetry(): void }) {
  const problem = state.problem;
  const seconds = useCountdown(problem?.kind === "busy" ? problem.retryAt : undefined);

  if (state.phase === "cancelled") {
    return (
      <MessageBar intent="info" data-testid="status-cancelled">
        <MessageBarBody>
          <MessageBarTitle>Cancelled</MessageBarTitle>
          Nothing was generated.
        </MessageBarBody>
        <MessageBarActions>
          <Button onClick={onRetry}>Start again</Button>
        </MessageBarActions>
      </MessageBar>
    );
  }
  if (state.phase === "done" && state.withheld.length > 0) {
    const count = state.withheld.length;
    return (
      <MessageBar intent="warning" data-testid="status-withheld">
        <MessageBarBody>
          {count === 1 ? "1 image was" : `${count} images were`} withheld by the content filter (
          {categoryName(state.withheld[0].category)}).
        </MessageBarBody>
      </MessageBar>
    );
  }
  if (!problem) return null;

  switch (problem.kind) {
    case "signin":
      // The sign-in banner at the top of the page explains it and offers Try again.
      return null;
    case "blocked":
      return (
        <MessageBar intent="error" layout="multiline" data-testid="status-blocked">
          <MessageBarBody>
            <MessageBarTitle>Blocked by the content filter</MessageBarTitle>
            {problem.picture
              ? `The starting picture looks like it shows ${categoryName(problem.category)}, which your organisation's policy does not allow. No image was generated. Start from another picture.`
              : `This prompt looks like it asks for ${categoryName(problem.category)}, which your organisation's policy does not allow. No image was generated. Try describing something else.`}
          </MessageBarBody>
        </MessageBar>
      );
    case "busy":
      return (
        <MessageBar intent="warning" layout="multiline" data-testid="status-busy">
          <MessageBarBody>
            <MessageBarTitle>Lumen is busy</MessageBarTitle>
            {seconds > 0
              ? `Too many requests right now. You can try again in ${seconds} s.`
              : "You can try again now."}
          </MessageBarBody>
          <MessageBarActions>
            <Button disabled={seconds > 0} onClick={onRetry} icon={<ArrowClockwise20Regular />}>
              {seconds > 0 ? `Wait ${seconds} s` : "Try again"}
            </Button>
          </MessageBarActions>
        </MessageBar>
      );
    case "unreachable":
      return (
        <MessageBar intent="error" layout="multiline" data-testid="status-unreachable">
          <MessageBarBody>
            <MessageBarTitle>Can't reach Lumen</MessageBarTitle>
            {problem.message} Check that the server is running and that this computer can reach it.
          </MessageBarBody>
          <MessageBarActions>
            <Button onClick={onRetry} icon={<ArrowClockwise20Regular />}>
              Retry
            </Button>
          </MessageBarActions>
        </MessageBar>
      );
    case "invalid":
    case "failed":
      return (
        <MessageBar intent="error" layout="multiline" data-testid={`status-${problem.kind}`}>
          <MessageBarBody>
            <MessageBarTitle>
              {problem.kind === "failed"
                ? "Something went wrong"
                : problem.picture
                  ? "Check the starting picture"
                  : "Check the options"}
            </MessageBarTitle>
            {problem.message}
          </MessageBarBody>
          {problem.kind === "failed" && (
            <MessageBarActions>
              <Button onClick={onRetry} icon={<ArrowClockwise20Regular />}>
                Retry
              </Button>
            </MessageBarActions>
          )}
        </MessageBar>
      );
  }
}
