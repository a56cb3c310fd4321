// A few prompts to start from; choosing one fills the prompt box.
import { Button, Caption1, makeStyles, tokens } from "@fluentui/react-components";
import { EXAMPLE_PROMPTS } from "../examples";

const useStyles = makeStyles({
  root: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    gap: tokens.spacingHorizontalXS,
  },
  label: { color: tokens.colorNeutralForeground3, marginRight: tokens.spacingHorizontalXXS },
});

export function ExamplePrompts({
  onPick,
  limit,
}: {
  onPick(prompt: string): void;
  limit?: number;
}) {
  const styles = useStyles();
  return (
    <div className={styles.root} role="group" aria-labelledby="lumen-examples-label">
      <Caption1 id="lumen-examples-label" className={styles.label}>
        Try:
      </Caption1>
      {EXAMPLE_PROMPTS.slice(0, limit).map((example) => (
        <Button
          key={example.label}
          size="small"
          shape="circular"
          appearance="outline"
          title={example.prompt}
          onClick={() => onPick(example.prompt)}
        >
          {example.label}
        </Button>
      ))}
    </div>
  );
}
