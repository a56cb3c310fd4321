// "Your creations": past generations in this browser; choosing one shows its images again.
import { Button, Caption1, Subtitle1, makeStyles, tokens } from "@fluentui/react-components";
import { Delete20Regular } from "@fluentui/react-icons";
import { ServerImage } from "../shared/components/ServerImage";
import type { HistoryEntry } from "./history";

const useStyles = makeStyles({
  header: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    marginBottom: tokens.spacingVerticalM,
  },
  grid: {
    display: "grid",
    gridTemplateColumns: "repeat(auto-fill, minmax(150px, 1fr))",
    gap: tokens.spacingHorizontalM,
    listStyle: "none",
    margin: 0,
    padding: 0,
  },
  item: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXS,
    width: "100%",
    padding: tokens.spacingVerticalXS,
    textAlign: "left",
    cursor: "pointer",
    color: "inherit",
    font: "inherit",
    background: "none",
    border: `${tokens.strokeWidthThin} solid transparent`,
    borderRadius: tokens.borderRadiusLarge,
    ":hover": {
      backgroundColor: tokens.colorNeutralBackground1Hover,
      border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    },
    ":focus-visible": { outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}` },
  },
  selected: { border: `${tokens.strokeWidthThin} solid ${tokens.colorBrandStroke1}` },
  thumbs: {
    display: "grid",
    gridTemplateColumns: "1fr 1fr",
    gap: "2px",
    borderRadius: tokens.borderRadiusMedium,
    overflow: "hidden",
    aspectRatio: "1",
  },
  thumb: {
    width: "100%",
    height: "100%",
    objectFit: "cover",
    display: "block",
    backgroundColor: tokens.colorNeutralBackground3,
  },
  prompt: {
    color: tokens.colorNeutralForeground2,
    display: "-webkit-box",
    WebkitLineClamp: "2",
    WebkitBoxOrient: "vertical",
    overflow: "hidden",
  },
});

export function HistoryGallery(props: {
  entries: HistoryEntry[];
  selectedId?: string;
  onSelect(entry: HistoryEntry): void;
  onClear(): void;
}) {
  const styles = useStyles();
  if (props.entries.length === 0) return null;
  return (
    <section aria-labelledby="history-title">
      <div className={styles.header}>
        <Subtitle1 as="h2" id="history-title">
          Your creations
        </Subtitle1>
        <Button appearance="subtle" icon={<Delete20Regular />} onClick={props.onClear}>
          Clear history
        </Button>
      </div>
      <ul className={styles.grid}>
        {props.entries.map((entry) => (
          <li key={entry.id}>
            <button
              type="button"
              className={`${styles.item} ${entry.id === props.selectedId ? styles.selected : ""}`}
              aria-current={entry.id === props.selectedId ? "true" : undefined}
              aria-label={`${entry.prompt}, ${entry.images.length} ${entry.images.length === 1 ? "image" : "images"}`}
              onClick={() => props.onSelect(entry)}
            >
              <span
                className={styles.thumbs}
                style={{ gridTemplateColumns: entry.images.length === 1 ? "1fr" : "1fr 1fr" }}
                aria-hidden
              >
                {entry.images.slice(0, 4).map((image) => (
                  <ServerImage
                    key={image.id}
                    className={styles.thumb}
                    imageId={image.id}
                    format="jpeg"
                    size={160}
                    alt=""
                    lazy
                  />
                ))}
              </span>
              <Caption1 className={styles.prompt}>{entry.prompt}</Caption1>
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
