// The frame of the wide pages (arena, leaderboard): a header with the Lumen mark, the page's title
// and links to the other pages, and a centred main column on a quiet backdrop.
import { Link, makeStyles, tokens } from "@fluentui/react-components";
import type { ReactNode } from "react";
import { Brand } from "./Brand";

const useStyles = makeStyles({
  page: { minHeight: "100vh", display: "flex", flexDirection: "column" },
  header: {
    display: "flex",
    alignItems: "center",
    justifyContent: "space-between",
    flexWrap: "wrap",
    gap: tokens.spacingHorizontalL,
    padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalXXL}`,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    backgroundColor: tokens.colorNeutralBackground1,
  },
  links: {
    display: "flex",
    gap: tokens.spacingHorizontalL,
    margin: 0,
    padding: 0,
    listStyleType: "none",
  },
  backdrop: { backgroundColor: tokens.colorNeutralBackground2, flexGrow: 1 },
  main: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalXXL,
    width: "100%",
    maxWidth: "1120px",
    margin: "0 auto",
    padding: `${tokens.spacingVerticalXXL} ${tokens.spacingHorizontalXXL} ${tokens.spacingVerticalXXXL}`,
    boxSizing: "border-box",
  },
});

export function WidePage(props: {
  title: string;
  tagline: string;
  links: { href: string; label: string }[];
  children: ReactNode;
  after?: ReactNode;
}) {
  const styles = useStyles();
  return (
    <div className={styles.page}>
      <header className={styles.header}>
        <Brand large title={props.title} tagline={props.tagline} />
        <nav aria-label="Lumen pages">
          <ul className={styles.links}>
            {props.links.map((l) => (
              <li key={l.href}>
                <Link href={l.href}>{l.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <div className={styles.backdrop}>
        <main className={styles.main}>{props.children}</main>
      </div>
      {props.after}
    </div>
  );
}
