// While generating: where we are (queued, step k of n), blurred live previews where the policy
// allows them, and Cancel.
import {
  Body1,
  Button,
  Caption1,
  ProgressBar,
  Skeleton,
  SkeletonItem,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { Dismiss20Regular, Info16Regular } from "@fluentui/react-icons";
import type { GenerationState } from "../generation";
import { ASPECTS } from "../options";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: tokens.spacingVerticalM,
    borderRadius: tokens.borderRadiusLarge,
    backgroundColor: tokens.colorNeutralBackground2,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  header: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    gap: tokens.spacingHorizontalS,
  },
  tiles: { display: "grid", gap: tokens.spacingHorizontalS },
  tile: {
    position: "relative",
    overflow: "hidden",
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
  },
  preview: {
    position: "absolute",
    inset: "-8%",
    width: "116%",
    height: "116%",
    objectFit: "cover",
    filter: "blur(10px) saturate(1.2)",
    transitionProperty: "opacity",
    transitionDuration: tokens.durationSlow,
  },
  skeleton: { position: "absolute", inset: 0, width: "100%", height: "100%" },
  detail: { color: tokens.colorNeutralForeground3 },
  note: {
    color: tokens.colorNeutralForeground3,
    display: "flex",
    alignItems: "flex-start",
    gap: tokens.spacingHorizontalXS,
  },
  noteIcon: { fontSize: "16px", flexShrink: 0 },
  title: { margin: 0 },
});

function statusLine(state: GenerationState): { title: string; detail: string } {
  switch (state.phase) {
    case "submitting":
      return { title: "Starting…", detail: "Sending your prompt" };
    case "queued":
      // position counts the requests waiting for this model, 1 = next; running ones are not in it.
      return state.position > 1
        ? { title: "Waiting in line", detail: `Number ${state.position} in line` }
        : { title: "Starting…", detail: "Next in line" };
    case "cancelling":
      return { title: "Cancelling…", detail: "Stopping after the current step" };
    default:
      return {
        title: "Painting…",
        detail: state.steps ? `Step ${state.step} of ${state.steps}` : "Getting ready",
      };
  }
}

export function ProgressPanel(props: {
  state: GenerationState;
  onCancel(): void;
  columns?: number;
  previews?: boolean;
}) {
  const { state, onCancel, columns, previews = true } = props;
  const styles = useStyles();
  const n = state.request?.n ?? 1;
  const ratio = ASPECTS.find((a) => a.value === state.request?.aspect)?.ratio ?? 1;
  const { title, detail } = statusLine(state);
  const value = state.phase === "running" && state.steps ? state.step / state.steps : undefined;
  return (
    <section className={styles.root} aria-label="Progress" aria-busy="true" data-testid="progress">
      <div className={styles.header}>
        <div>
          <Body1 as="h2" block className={styles.title}>
            <strong>{title}</strong>
          </Body1>
          <Caption1 className={styles.detail}>{detail}</Caption1>
        </div>
        <Button
          icon={<Dismiss20Regular />}
          onClick={onCancel}
          disabled={state.phase === "cancelling" || !state.id}
        >
          Cancel
        </Button>
      </div>
      <ProgressBar
        value={value}
        thickness="large"
        shape="rounded"
        aria-label={value === undefined ? title : `${title} ${detail}`}
        aria-valuetext={value === undefined ? undefined : detail}
      />
      <div
        className={styles.tiles}
        style={{ gridTemplateColumns: `repeat(${Math.min(n, columns ?? 2)}, 1fr)` }}
        aria-hidden
      >
        {Array.from({ length: n }, (_, i) => (
          <div key={i} className={styles.tile} style={{ aspectRatio: String(ratio) }}>
            <Skeleton className={styles.skeleton} animation="pulse">
              <SkeletonItem className={styles.skeleton} shape="rectangle" />
            </Skeleton>
            {previews && state.previews[i] && (
              <img className={styles.preview} src={state.previews[i]} alt="" />
            )}
          </div>
        ))}
      </div>
      {!previews && (
        <Caption1 className={styles.note} data-testid="previews-off">
          <Info16Regular className={styles.noteIcon} aria-hidden />
          Your organisation's policy turns off previews while images are painted. Nothing is wrong:
          the images appear when they're ready.
        </Caption1>
      )}
    </section>
  );
}
