// One generated image with its actions. Every action is a labelled button in tab order.
import {
  Button,
  Tooltip,
  makeStyles,
  mergeClasses,
  tokens,
  ToggleButton,
} from "@fluentui/react-components";
import {
  ArrowDownload20Regular,
  ArrowSync20Regular,
  Copy20Regular,
  ImageAdd20Regular,
  ImageEdit20Regular,
  ThumbDislike20Filled,
  ThumbDislike20Regular,
  ThumbLike20Filled,
  ThumbLike20Regular,
} from "@fluentui/react-icons";
import { useState } from "react";
import { useLumen } from "../context";
import type { ResultImage } from "../generation";
import { useImageActions } from "../useImageActions";
import { ServerImage } from "./ServerImage";

const useStyles = makeStyles({
  card: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    padding: tokens.spacingVerticalS,
    borderRadius: tokens.borderRadiusLarge,
    backgroundColor: tokens.colorNeutralBackground1,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    boxShadow: tokens.shadow4,
    minWidth: 0,
  },
  imageLink: {
    display: "block",
    borderRadius: tokens.borderRadiusMedium,
    overflow: "hidden",
    backgroundColor: tokens.colorNeutralBackground3,
    outlineOffset: "2px",
  },
  image: { display: "block", width: "100%", height: "auto" },
  actions: {
    display: "flex",
    alignItems: "center",
    gap: tokens.spacingHorizontalXXS,
    flexWrap: "wrap",
  },
  insert: { flexGrow: 1, minWidth: "fit-content" },
  icons: { display: "flex", gap: tokens.spacingHorizontalXXS },
  wide: { flexWrap: "nowrap" },
});

export function ResultCard({
  image,
  onMoreLikeThis,
  onUseAsStart,
  wide,
}: {
  image: ResultImage;
  onMoreLikeThis(image: ResultImage): void;
  /** Where the model can start from a picture: this image becomes the starting picture. */
  onUseAsStart?(image: ResultImage): void;
  wide?: boolean;
}) {
  const styles = useStyles();
  const { client } = useLumen();
  const actions = useImageActions();
  const [rating, setRating] = useState<"up" | "down" | undefined>();
  const [busy, setBusy] = useState(false);
  const label = `Image ${image.index + 1}, seed ${image.seed}`;

  const run = async (action: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await action();
    } finally {
      setBusy(false);
    }
  };
  const rate = async (value: "up" | "down") => {
    if (rating === value) return;
    if (await actions.rate(image, value)) setRating(value);
  };

  return (
    <article className={styles.card} aria-label={label} data-testid="result">
      <a
        className={styles.imageLink}
        href={client.imageUrl(image.id)}
        target="_blank"
        rel="noreferrer"
        title="Open full size"
        onClick={(event) => {
          // The full image needs the sign-in header too, so it opens from a fetched copy.
          event.preventDefault();
          void actions.open(image);
        }}
      >
        <ServerImage
          className={styles.image}
          imageId={image.id}
          format="jpeg"
          size={768}
          width={image.width}
          height={image.height}
          alt={image.prompt}
        />
      </a>
      <div className={mergeClasses(styles.actions, wide && styles.wide)}>
        <Button
          className={styles.insert}
          data-action="insert"
          appearance="primary"
          size="small"
          icon={<ImageAdd20Regular />}
          disabled={busy}
          onClick={() => run(() => actions.insert(image))}
        >
          {actions.insertLabel}
        </Button>
        <div className={styles.icons}>
          <Tooltip content="Copy" relationship="label">
            <Button
              size="small"
              appearance="subtle"
              icon={<Copy20Regular />}
              onClick={() => run(() => actions.copy(image))}
            />
          </Tooltip>
          <Tooltip content="Download" relationship="label">
            <Button
              size="small"
              appearance="subtle"
              icon={<ArrowDownload20Regular />}
              onClick={() => run(() => actions.download(image))}
            />
          </Tooltip>
          <Tooltip content="More like this" relationship="label">
            <Button
              size="small"
              appearance="subtle"
              icon={<ArrowSync20Regular />}
              onClick={() => onMoreLikeThis(image)}
            />
          </Tooltip>
          {onUseAsStart && (
            <Tooltip content="Use as starting point" relationship="label">
              <Button
                size="small"
                appearance="subtle"
                icon={<ImageEdit20Regular />}
                onClick={() => onUseAsStart(image)}
              />
            </Tooltip>
          )}
          <Tooltip content="Good image" relationship="label">
            <ToggleButton
              size="small"
              appearance="subtle"
              checked={rating === "up"}
              icon={rating === "up" ? <ThumbLike20Filled /> : <ThumbLike20Regular />}
              onClick={() => rate("up")}
            />
          </Tooltip>
          <Tooltip content="Bad image" relationship="label">
            <ToggleButton
              size="small"
              appearance="subtle"
              checked={rating === "down"}
              icon={rating === "down" ? <ThumbDislike20Filled /> : <ThumbDislike20Regular />}
              onClick={() => rate("down")}
            />
          </Tooltip>
        </div>
      </div>
    </article>
  );
}
