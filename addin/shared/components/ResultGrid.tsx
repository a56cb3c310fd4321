// The results of one generation, and a placeholder for each image the filter withheld.
import { Caption1, makeStyles, tokens } from "@fluentui/react-components";
import { ShieldError20Regular } from "@fluentui/react-icons";
import { categoryName, type ResultImage } from "../generation";
import { ResultCard } from "./ResultCard";

const useStyles = makeStyles({
  grid: { display: "grid", gap: tokens.spacingHorizontalM, alignItems: "start" },
  withheld: {
    display: "flex",
    flexDirection: "column",
    alignItems: "center",
    justifyContent: "center",
    gap: tokens.spacingVerticalXS,
    minHeight: "120px",
    padding: tokens.spacingVerticalM,
    textAlign: "center",
    borderRadius: tokens.borderRadiusLarge,
    border: `${tokens.strokeWidthThin} dashed ${tokens.colorNeutralStroke1}`,
    color: tokens.colorNeutralForeground3,
  },
});

export interface ResultGridProps {
  images: ResultImage[];
  withheld?: { index: number; category: string }[];
  /** A number of columns, or a minimum column width for as many as fit. */
  columns: number | { min: string };
  onMoreLikeThis(image: ResultImage): void;
  onUseAsStart?(image: ResultImage): void;
  wide?: boolean;
  label?: string;
}

export function ResultGrid({
  images,
  withheld = [],
  columns,
  onMoreLikeThis,
  onUseAsStart,
  wide,
  label = "Results",
}: ResultGridProps) {
  const styles = useStyles();
  if (images.length === 0) return null;
  const template =
    typeof columns === "number"
      ? `repeat(${columns}, minmax(0, 1fr))`
      : `repeat(auto-fill, minmax(${columns.min}, 1fr))`;
  return (
    <section aria-label={label} className={styles.grid} style={{ gridTemplateColumns: template }}>
      {images.map((image) => (
        <ResultCard
          key={image.id}
          image={image}
          onMoreLikeThis={onMoreLikeThis}
          onUseAsStart={onUseAsStart}
          wide={wide}
        />
      ))}
      {withheld.map((w) => (
        <div key={`withheld-${w.index}`} className={styles.withheld} role="note">
          <ShieldError20Regular aria-hidden />
          <Caption1>
            Image {w.index + 1} was withheld by the content filter ({categoryName(w.category)}).
          </Caption1>
        </div>
      ))}
    </section>
  );
}
