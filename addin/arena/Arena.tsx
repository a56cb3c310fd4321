// The arena page: one prompt, two anonymous pictures by two of the organisation's models (or
// settings), a vote, and then who drew which. The votes rank the contenders on the leaderboard.
import {
  Badge,
  Button,
  Card,
  Link,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Text,
  makeStyles,
  tokens,
  typographyStyles,
} from "@fluentui/react-components";
import { ArrowClockwise20Regular, Trophy20Regular } from "@fluentui/react-icons";
import { useEffect, useReducer, useRef, useState } from "react";
import type { ArenaWinner } from "../../contract";
import { ExamplePrompts } from "../shared/components/ExamplePrompts";
import { LiveRegion } from "../shared/components/LiveRegion";
import { PromptField } from "../shared/components/PromptField";
import { SIGN_IN_BANNER_ID, SignInBanner } from "../shared/components/SignInBanner";
import { WidePage } from "../shared/components/WidePage";
import { useLumen, useSession } from "../shared/context";
import { categoryName } from "../shared/generation";
import { usePathSource } from "../shared/useImageSource";
import {
  arenaAnnouncement,
  arenaReducer,
  initialArena,
  isBusy,
  VOTE_LABELS,
  type ArenaState,
} from "./state";

const useStyles = makeStyles({
  composer: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    padding: tokens.spacingHorizontalXL,
    borderRadius: tokens.borderRadiusXLarge,
    backgroundColor: tokens.colorNeutralBackground1,
    boxShadow: tokens.shadow8,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  promptRow: {
    display: "grid",
    gridTemplateColumns: "1fr auto",
    gap: tokens.spacingHorizontalM,
    alignItems: "end",
  },
  start: { height: "64px", minWidth: "148px", marginBottom: "22px" },
  battle: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalL },
  pictures: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fit, minmax(260px, 1fr))",
    gap: tokens.spacingHorizontalXL,
  },
  figure: { margin: 0, display: "flex", flexDirection: "column", gap: tokens.spacingVerticalS },
  picture: {
    width: "100%",
    aspectRatio: "1 / 1",
    objectFit: "cover",
    borderRadius: tokens.borderRadiusLarge,
    backgroundColor: tokens.colorNeutralBackground3,
    display: "block",
  },
  caption: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    minHeight: "28px",
  },
  votes: {
    display: "flex",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalM,
    justifyContent: "center",
  },
  heading: { ...typographyStyles.subtitle1, margin: 0, outlineStyle: "none" },
  painting: { padding: tokens.spacingVerticalXXL },
});

const SIDES = [
  { side: "left", letter: "A" },
  { side: "right", letter: "B" },
] as const;

function Picture({
  path,
  letter,
  prompt,
  contender,
  preferred,
}: {
  path: string;
  letter: string;
  prompt: string;
  contender?: string;
  preferred: boolean;
}) {
  const styles = useStyles();
  const { src, failed } = usePathSource(path);
  return (
    <Card>
      <figure className={styles.figure} data-testid={`picture-${letter}`}>
        <img
          className={styles.picture}
          src={src}
          alt={`Picture ${letter} of “${prompt}”`}
          data-state={src ? "loaded" : failed ? "failed" : "loading"}
        />
        <figcaption className={styles.caption}>
          <Text weight="semibold">Picture {letter}</Text>
          {contender && <Text data-testid={`contender-${letter}`}>by {contender}</Text>}
          {preferred && (
            <Badge appearance="tint" color="success" icon={<Trophy20Regular />}>
              Your pick
            </Badge>
          )}
        </figcaption>
      </figure>
    </Card>
  );
}

function Problem({ state, onRetry }: { state: ArenaState; onRetry(): void }) {
  const p = state.problem;
  if (!p || p.kind === "signin") return null;
  const retry = (
    <MessageBarActions>
      <Button icon={<ArrowClockwise20Regular />} onClick={onRetry}>
        Try again
      </Button>
    </MessageBarActions>
  );
  switch (p.kind) {
    case "blocked":
      return (
        <MessageBar intent="error" layout="multiline" data-testid="arena-blocked">
          <MessageBarBody>
            <MessageBarTitle>Blocked by the content filter</MessageBarTitle>
            {p.message.startsWith("One of the two pictures")
              ? p.message
              : `This prompt looks like it asks for ${categoryName(p.category)}, which your organisation's policy does not allow. Try describing something else.`}
          </MessageBarBody>
        </MessageBar>
      );
    case "busy":
      return (
        <MessageBar intent="warning" layout="multiline" data-testid="arena-busy">
          <MessageBarBody>
            <MessageBarTitle>Lumen is busy</MessageBarTitle>
            {p.message}
          </MessageBarBody>
          {retry}
        </MessageBar>
      );
    default:
      return (
        <MessageBar intent="error" layout="multiline" data-testid={`arena-${p.kind}`}>
          <MessageBarBody>
            <MessageBarTitle>
              {p.kind === "unreachable" ? "Can't reach Lumen" : "That didn't work"}
            </MessageBarTitle>
            {p.message}
          </MessageBarBody>
          {state.phase === "stopped" && p.kind !== "invalid" && retry}
        </MessageBar>
      );
  }
}

export function Arena() {
  const styles = useStyles();
  const { client } = useLumen();
  const { policy, ready } = useSession();
  const [prompt, setPrompt] = useState("");
  const [promptError, setPromptError] = useState<string>();
  const [state, dispatch] = useReducer(arenaReducer, initialArena);
  const promptRef = useRef<HTMLTextAreaElement>(null);
  const question = useRef<HTMLHeadingElement>(null);
  const pending = useRef<AbortController | undefined>(undefined);

  useEffect(() => () => pending.current?.abort(), []);
  // Focus follows the battle: to the question when both pictures are up, to the answer after the vote.
  useEffect(() => {
    if (state.phase === "voting" || state.phase === "revealed") question.current?.focus();
  }, [state.phase]);

  const start = (text = prompt) => {
    const trimmed = text.trim();
    if (!trimmed) {
      setPromptError("Describe a picture for both sides to paint.");
      promptRef.current?.focus();
      return;
    }
    if (!ready || isBusy(state.phase)) return;
    setPromptError(undefined);
    pending.current?.abort();
    const controller = new AbortController();
    pending.current = controller;
    dispatch({ type: "start", prompt: trimmed });
    client.createBattle(trimmed, controller.signal).then(
      (battle) => !controller.signal.aborted && dispatch({ type: "painted", battle }),
      (error) => !controller.signal.aborted && dispatch({ type: "failed", error })
    );
  };

  const vote = (winner: ArenaWinner) => {
    if (state.phase !== "voting" || !state.battle) return;
    dispatch({ type: "vote", winner });
    client.vote(state.battle.id, winner).then(
      (reveal) => dispatch({ type: "revealed", reveal }),
      (error) => dispatch({ type: "failed", error })
    );
  };

  const links = [
    { href: "leaderboard.html", label: "Leaderboard" },
    { href: "creator.html", label: "Image Creator" },
  ];
  const tagline =
    "Two pictures, one prompt: pick the better one, and see which model your organisation prefers.";

  if (!policy.arena.enabled) {
    return (
      <WidePage title="Lumen Arena" tagline={tagline} links={links}>
        <SignInBanner />
        <MessageBar intent="info" layout="multiline" data-testid="arena-off">
          <MessageBarBody>
            <MessageBarTitle>The arena isn't available here</MessageBarTitle>
            It needs two or more models (or settings of one) to compare, and your organisation's
            policy can turn it off. You can still create images in the{" "}
            <Link href="creator.html">Image Creator</Link>.
          </MessageBarBody>
        </MessageBar>
      </WidePage>
    );
  }

  const battle = state.battle;
  const reveal = state.reveal;
  const showBattle =
    battle &&
    (state.phase === "voting" ||
      state.phase === "sending" ||
      state.phase === "revealed" ||
      (state.phase === "stopped" && state.winner));
  return (
    <WidePage
      title="Lumen Arena"
      tagline={tagline}
      links={links}
      after={<LiveRegion message={arenaAnnouncement(state)} />}
    >
      <SignInBanner />
      <form
        className={styles.composer}
        aria-label="Start a battle"
        onSubmit={(event) => {
          event.preventDefault();
          start();
        }}
      >
        <div className={styles.promptRow}>
          <PromptField
            ref={promptRef}
            rows={2}
            label="Describe a picture for both sides"
            value={prompt}
            onChange={(value) => {
              setPrompt(value);
              if (value.trim()) setPromptError(undefined);
            }}
            onSubmit={() => start()}
            error={promptError}
          />
          <Button
            className={styles.start}
            type="submit"
            appearance="primary"
            size="large"
            disabled={state.phase === "painting"}
            disabledFocusable={!ready}
            aria-describedby={ready ? undefined : SIGN_IN_BANNER_ID}
          >
            {state.phase === "painting" ? "Painting…" : "Start battle"}
          </Button>
        </div>
        <ExamplePrompts onPick={setPrompt} />
      </form>

      <Problem state={state} onRetry={() => start(state.prompt)} />

      {state.phase === "painting" && (
        <Spinner
          className={styles.painting}
          label="Painting two pictures of your prompt…"
          data-testid="arena-painting"
        />
      )}

      {showBattle && battle && (
        <section className={styles.battle} aria-labelledby="battle-question" data-testid="battle">
          <h2 id="battle-question" ref={question} tabIndex={-1} className={styles.heading}>
            {reveal
              ? "Thanks — your vote is counted"
              : `Which picture of “${state.prompt}” is better?`}
          </h2>
          <div className={styles.pictures}>
            {SIDES.map(({ side, letter }) => (
              <Picture
                key={side}
                path={battle[side].imageUrl}
                letter={letter}
                prompt={state.prompt}
                contender={reveal?.[side].contender}
                preferred={reveal?.winner === side}
              />
            ))}
          </div>
          {!reveal ? (
            <div className={styles.votes} role="group" aria-label="Your vote">
              {(Object.keys(VOTE_LABELS) as ArenaWinner[]).map((winner) => (
                <Button
                  key={winner}
                  appearance={winner === "left" || winner === "right" ? "primary" : "secondary"}
                  disabled={state.phase !== "voting"}
                  onClick={() => vote(winner)}
                >
                  {state.phase === "sending" && state.winner === winner
                    ? "Sending…"
                    : VOTE_LABELS[winner]}
                </Button>
              ))}
            </div>
          ) : (
            <div className={styles.votes}>
              <Text data-testid="reveal">
                You chose “{VOTE_LABELS[reveal.winner]}”. Picture A was drawn by{" "}
                {reveal.left.contender}, picture B by {reveal.right.contender}.
              </Text>
              <Button appearance="primary" onClick={() => start(state.prompt)}>
                Another battle with this prompt
              </Button>
              <Link href="leaderboard.html">See the leaderboard</Link>
            </div>
          )}
        </section>
      )}
    </WidePage>
  );
}
