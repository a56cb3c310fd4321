// The Lumen mark and name.
import { Caption1, Subtitle2, Title3, makeStyles, tokens } from "@fluentui/react-components";

const useStyles = makeStyles({
  root: { display: "flex", alignItems: "center", gap: tokens.spacingHorizontalS, minWidth: 0 },
  text: { display: "flex", flexDirection: "column", minWidth: 0 },
  tagline: { color: tokens.colorNeutralForeground3 },
  name: { margin: 0 },
});

export function Brand({
  tagline,
  large,
  title,
}: {
  tagline?: string;
  large?: boolean;
  title?: string;
}) {
  const styles = useStyles();
  const Name = large ? Title3 : Subtitle2;
  return (
    <div className={styles.root}>
      <img src="assets/logo.svg" width={large ? 36 : 28} height={large ? 36 : 28} alt="" />
      <div className={styles.text}>
        <Name as="h1" className={styles.name}>
          {title ?? (large ? "Lumen Image Creator" : "Lumen")}
        </Name>
        {tagline && <Caption1 className={styles.tagline}>{tagline}</Caption1>}
      </div>
    </div>
  );
}
