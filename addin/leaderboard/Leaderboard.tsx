// The arena's leaderboard: each contender's Bradley–Terry score with its 95% interval, from all
// votes or from the prompts of one category.
import {
  Badge,
  Button,
  Caption1,
  Field,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Select,
  Spinner,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ArrowClockwise20Regular } from "@fluentui/react-icons";
import { useCallback, useEffect, useState } from "react";
import type { ArenaLeaderboard, ArenaStanding } from "../../contract";
import { LiveRegion } from "../shared/components/LiveRegion";
import { SignInBanner } from "../shared/components/SignInBanner";
import { WidePage } from "../shared/components/WidePage";
import { useLumen, useSession } from "../shared/context";
import { problemFrom } from "../shared/generation";

const useStyles = makeStyles({
  panel: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalL,
    padding: tokens.spacingHorizontalXL,
    borderRadius: tokens.borderRadiusXLarge,
    backgroundColor: tokens.colorNeutralBackground1,
    boxShadow: tokens.shadow8,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  controls: {
    display: "flex",
    alignItems: "end",
    justifyContent: "space-between",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalL,
  },
  select: { minWidth: "260px" },
  caption: { color: tokens.colorNeutralForeground3 },
  number: { textAlign: "right", fontVariantNumeric: "tabular-nums" },
  numberHeader: { "& > *": { justifyContent: "flex-end", width: "100%" } },
  provisional: { marginLeft: tokens.spacingHorizontalS },
  // The interval drawn on a shared axis; the numbers beside it say the same for screen readers.
  track: {
    position: "relative",
    height: "8px",
    minWidth: "120px",
    borderRadius: "4px",
    backgroundColor: tokens.colorNeutralBackground3,
  },
  range: {
    position: "absolute",
    top: 0,
    bottom: 0,
    borderRadius: "4px",
    backgroundColor: tokens.colorBrandBackground2Hover,
  },
  point: {
    position: "absolute",
    top: "-2px",
    width: "4px",
    height: "12px",
    marginLeft: "-2px",
    borderRadius: "2px",
    backgroundColor: tokens.colorBrandBackground,
  },
});

const fmt = (x: number) => Math.round(x).toString();
const votes = (n: number) => `${n} ${n === 1 ? "vote" : "votes"}`;

function IntervalBar({ standing, lo, hi }: { standing: ArenaStanding; lo: number; hi: number }) {
  const styles = useStyles();
  const at = (x: number) => `${((x - lo) / Math.max(1, hi - lo)) * 100}%`;
  return (
    <div className={styles.track} aria-hidden="true">
      <div
        className={styles.range}
        style={{ left: at(standing.ci95[0]), right: `calc(100% - ${at(standing.ci95[1])})` }}
      />
      <div className={styles.point} style={{ left: at(standing.score) }} />
    </div>
  );
}

export function Leaderboard() {
  const styles = useStyles();
  const { client } = useLumen();
  const { ready } = useSession();
  const [category, setCategory] = useState("");
  const [board, setBoard] = useState<ArenaLeaderboard>();
  const [error, setError] = useState<string>();
  const [attempt, setAttempt] = useState(0);
  const retry = useCallback(() => setAttempt((n) => n + 1), []);

  useEffect(() => {
    if (!ready) return;
    let current = true;
    setError(undefined);
    client.leaderboard(category || undefined).then(
      (b) => current && setBoard(b),
      (e) => current && setError(problemFrom(e).message)
    );
    return () => {
      current = false;
    };
  }, [client, ready, category, attempt]);

  const shown = board && (board.category ?? "") === category ? board : undefined;
  const all = board?.categories.reduce((s, c) => s + c.votes, 0) ?? 0;
  const lo = shown ? Math.min(...shown.contenders.map((c) => c.ci95[0])) : 0;
  const hi = shown ? Math.max(...shown.contenders.map((c) => c.ci95[1])) : 0;
  const announcement = error
    ? `The leaderboard couldn't be loaded: ${error}`
    : shown
      ? shown.contenders.length
        ? `Leaderboard of ${votes(shown.votes)}: ${shown.contenders.map((c, i) => `${i + 1}. ${c.name}, ${fmt(c.score)}`).join("; ")}.`
        : "No votes yet."
      : "";

  return (
    <WidePage
      title="Arena leaderboard"
      tagline="Which model your organisation's people prefer, from their votes in the arena."
      links={[
        { href: "arena.html", label: "Arena" },
        { href: "creator.html", label: "Image Creator" },
      ]}
      after={<LiveRegion message={announcement} />}
    >
      <SignInBanner />
      {error && (
        <MessageBar intent="error" layout="multiline" data-testid="leaderboard-error">
          <MessageBarBody>
            <MessageBarTitle>The leaderboard couldn't be loaded</MessageBarTitle>
            {error}
          </MessageBarBody>
          <MessageBarActions>
            <Button icon={<ArrowClockwise20Regular />} onClick={retry}>
              Try again
            </Button>
          </MessageBarActions>
        </MessageBar>
      )}
      <section className={styles.panel} aria-labelledby="leaderboard-caption">
        <div className={styles.controls}>
          <Field label="Prompts">
            <Select
              className={styles.select}
              value={category}
              onChange={(_, data) => setCategory(data.value)}
            >
              <option value="">All prompts ({votes(all)})</option>
              {board?.categories.map((c) => (
                <option key={c.name} value={c.name}>
                  {c.label} ({votes(c.votes)})
                </option>
              ))}
            </Select>
          </Field>
          {shown?.updatedAt && (
            <Caption1 className={styles.caption} data-testid="leaderboard-updated">
              {votes(shown.votes)} · last vote {new Date(shown.updatedAt).toLocaleString()}
            </Caption1>
          )}
        </div>
        {!shown && !error && <Spinner label="Loading the leaderboard…" />}
        {shown && shown.contenders.length === 0 && (
          <Text data-testid="leaderboard-empty">
            No votes {shown.category ? "on prompts of this category " : ""}yet. Each vote in the{" "}
            <a href="arena.html">arena</a> counts here.
          </Text>
        )}
        {shown && shown.contenders.length > 0 && (
          <Table aria-labelledby="leaderboard-caption" data-testid="leaderboard">
            <TableHeader>
              <TableRow>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Rank
                </TableHeaderCell>
                <TableHeaderCell scope="col">Contender</TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Score
                </TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  95% interval
                </TableHeaderCell>
                <TableHeaderCell scope="col">
                  <span aria-hidden="true">Range</span>
                </TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Battles
                </TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Wins
                </TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Ties
                </TableHeaderCell>
                <TableHeaderCell scope="col" className={styles.numberHeader}>
                  Losses
                </TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {shown.contenders.map((c, i) => (
                <TableRow key={c.name}>
                  <TableCell className={styles.number}>{i + 1}</TableCell>
                  <TableCell>
                    <Text weight="semibold">{c.name}</Text>
                    {c.provisional && (
                      <Badge
                        className={styles.provisional}
                        appearance="outline"
                        color="informative"
                        size="small"
                      >
                        few votes
                      </Badge>
                    )}
                  </TableCell>
                  <TableCell className={styles.number}>{fmt(c.score)}</TableCell>
                  <TableCell className={styles.number}>
                    {fmt(c.ci95[0])} – {fmt(c.ci95[1])}
                  </TableCell>
                  <TableCell>
                    <IntervalBar standing={c} lo={lo} hi={hi} />
                  </TableCell>
                  <TableCell className={styles.number}>{c.battles}</TableCell>
                  <TableCell className={styles.number}>{c.wins}</TableCell>
                  <TableCell className={styles.number}>{c.ties}</TableCell>
                  <TableCell className={styles.number}>{c.losses}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        )}
        <Caption1 id="leaderboard-caption" className={styles.caption}>
          Bradley–Terry scores from the arena's votes: 1000 is the contenders' average, and 400
          points more means 10-to-1 odds of being preferred. A tie or “both bad” counts as half a
          win for each. The interval holds the score with 95% confidence (bootstrap over the votes);
          overlapping intervals mean the votes can't yet tell the two apart. With few votes (under
          20 battles) a contender's interval understates how unsure its score is.
        </Caption1>
      </section>
    </WidePage>
  );
}
