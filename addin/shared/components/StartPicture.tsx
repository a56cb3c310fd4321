// The picture to start from: dropped, pasted or chosen as a file, or (in Word and PowerPoint) the
// selected picture; shown as a thumbnail with Remove and how much to change it.
import {
  Body1Strong,
  Button,
  Caption1,
  Field,
  Slider,
  makeStyles,
  mergeClasses,
  tokens,
} from "@fluentui/react-components";
import {
  Dismiss20Regular,
  DocumentArrowUp20Regular,
  ImageArrowBack20Regular,
} from "@fluentui/react-icons";
import { useEffect, useId, useRef, useState, type DragEvent } from "react";
import type { StartPicture as Picture } from "../options";
import { PictureError, pictureFromFile } from "../startPicture";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalS,
    scrollMarginTop: tokens.spacingVerticalL,
  },
  zone: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: tokens.spacingHorizontalS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    border: `${tokens.strokeWidthThin} dashed ${tokens.colorNeutralStroke1}`,
    color: tokens.colorNeutralForeground2,
  },
  over: {
    border: `${tokens.strokeWidthThick} dashed ${tokens.colorBrandStroke1}`,
    backgroundColor: tokens.colorBrandBackground2,
  },
  chosen: {
    display: "grid",
    gridTemplateColumns: "auto minmax(0, 1fr) auto",
    gap: tokens.spacingHorizontalM,
    alignItems: "start",
    padding: tokens.spacingVerticalS,
    borderRadius: tokens.borderRadiusMedium,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  thumb: {
    width: "72px",
    height: "72px",
    objectFit: "cover",
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground3,
  },
  details: { display: "flex", flexDirection: "column", gap: tokens.spacingVerticalXS, minWidth: 0 },
  name: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" },
  error: { color: tokens.colorPaletteRedForeground1 },
  hidden: { display: "none" },
});

export interface StartPictureProps {
  value?: Picture;
  /** 0.05 to 1. */
  strength: number;
  /** A problem to show in a sentence (a file that isn't a picture, nothing selected). */
  error?: string;
  onChange(picture: Picture | undefined): void;
  onStrength(strength: number): void;
  onError(message: string | undefined): void;
  /** Where the host can hand over the selected picture (Word, PowerPoint): fetches it. */
  fromSelection?: () => Promise<Picture | undefined>;
  /** What to call the selection ("picture", "shape"), for the message when nothing is selected. */
  selectionName?: string;
}

function messageOf(error: unknown): string {
  return error instanceof PictureError
    ? error.message
    : `Couldn't read the picture: ${error instanceof Error ? error.message : String(error)}`;
}

export function StartPicture({
  value,
  strength,
  error,
  onChange,
  onStrength,
  onError,
  fromSelection,
  selectionName = "picture",
}: StartPictureProps) {
  const styles = useStyles();
  const input = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLDivElement>(null);
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const labelId = useId();
  const percent = Math.round(strength * 100);

  const take = async (file: File | undefined) => {
    if (!file) return;
    try {
      onChange(await pictureFromFile(file));
    } catch (e) {
      onError(messageOf(e));
    }
  };

  // A picture pasted anywhere on the page (text pastes go on as usual).
  const takeRef = useRef(take);
  takeRef.current = take;
  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = Array.from(event.clipboardData?.files ?? []).find((f) =>
        f.type.startsWith("image/")
      );
      if (!file) return;
      event.preventDefault();
      void takeRef.current(file);
    };
    document.addEventListener("paste", onPaste);
    return () => document.removeEventListener("paste", onPaste);
  }, []);

  // A picture set from elsewhere (a result's "Use as starting point") is brought into view.
  useEffect(() => {
    if (value) root.current?.scrollIntoView?.({ block: "nearest", behavior: "smooth" });
  }, [value?.dataUrl]);

  const selection = async () => {
    if (!fromSelection) return;
    setBusy(true);
    try {
      const picture = await fromSelection();
      if (picture) onChange(picture);
      else
        onError(
          `Select a ${selectionName} in the document first, then choose Start from the selected picture.`
        );
    } catch (e) {
      onError(
        `Couldn't get the selected ${selectionName}: ${e instanceof Error ? e.message : String(e)}`
      );
    } finally {
      setBusy(false);
    }
  };

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    void take(event.dataTransfer.files[0]);
  };

  return (
    <div
      ref={root}
      className={styles.root}
      role="group"
      aria-labelledby={labelId}
      data-testid="start-picture"
    >
      <Body1Strong id={labelId}>Starting picture</Body1Strong>
      {value ? (
        <div className={styles.chosen}>
          <img
            className={styles.thumb}
            src={value.dataUrl}
            alt={`Starting picture: ${value.name}`}
          />
          <div className={styles.details}>
            <Caption1 className={styles.name} title={value.name}>
              {value.name}
            </Caption1>
            <Field
              label="How much to change the picture"
              hint={`${percent}%: lower keeps more of the picture, higher follows the prompt more.`}
            >
              <Slider
                min={5}
                max={100}
                step={5}
                value={percent}
                aria-valuetext={`${percent}%`}
                onChange={(_, data) => onStrength(data.value / 100)}
              />
            </Field>
          </div>
          <Button
            appearance="subtle"
            icon={<Dismiss20Regular />}
            onClick={() => onChange(undefined)}
            aria-label="Remove the starting picture"
          >
            Remove
          </Button>
        </div>
      ) : (
        <div
          className={mergeClasses(styles.zone, over && styles.over)}
          onDragOver={(event) => {
            if (!Array.from(event.dataTransfer.types).includes("Files")) return;
            event.preventDefault();
            event.dataTransfer.dropEffect = "copy";
            setOver(true);
          }}
          onDragLeave={() => setOver(false)}
          onDrop={drop}
          data-testid="picture-drop"
        >
          {fromSelection && (
            <Button
              icon={<ImageArrowBack20Regular />}
              disabled={busy}
              onClick={() => void selection()}
            >
              Start from the selected picture
            </Button>
          )}
          <Button icon={<DocumentArrowUp20Regular />} onClick={() => input.current?.click()}>
            Choose a picture…
          </Button>
          <Caption1>or drop or paste one here, and describe how to change it.</Caption1>
        </div>
      )}
      <input
        ref={input}
        className={styles.hidden}
        type="file"
        accept="image/png,image/jpeg,image/webp"
        aria-label="Choose a starting picture"
        onChange={(event) => {
          void take(event.target.files?.[0]);
          event.target.value = ""; // the same file again is a new choice
        }}
      />
      {error && (
        <Caption1 role="alert" className={styles.error}>
          {error}
        </Caption1>
      )}
    </div>
  );
}
