// Model (where the policy allows a choice), seed, steps and negative prompt, folded away until wanted.
import {
  Accordion,
  AccordionHeader,
  AccordionItem,
  AccordionPanel,
  Button,
  Field,
  Input,
  Textarea,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { ArrowShuffle20Regular } from "@fluentui/react-icons";
import { MAX_SEED, type Choices, type GenerationOptions } from "../options";
import { ModelSelect } from "./Selects";

const useStyles = makeStyles({
  panel: {
    display: "flex",
    flexDirection: "column",
    gap: tokens.spacingVerticalM,
    margin: `${tokens.spacingVerticalS} 0 ${tokens.spacingVerticalM}`,
  },
  // minmax(0, …): a text input's intrinsic width must not push the row wider than the pane.
  row: {
    display: "grid",
    gridTemplateColumns: "minmax(0, 3fr) minmax(0, 2fr)",
    gap: tokens.spacingHorizontalM,
  },
  input: { minWidth: 0 },
  header: { marginLeft: `calc(-1 * ${tokens.spacingHorizontalM})` },
});

type Advanced = Pick<GenerationOptions, "seed" | "steps" | "negativePrompt" | "model">;

export function AdvancedOptions(props: {
  value: Advanced;
  onChange(patch: Partial<Advanced>): void;
  errors: { seed?: string; steps?: string };
  choices: Pick<Choices, "models" | "defaultModel">;
}) {
  const styles = useStyles();
  const { value, onChange, errors, choices } = props;
  return (
    <Accordion collapsible>
      <AccordionItem value="advanced">
        <AccordionHeader className={styles.header} size="small">
          Advanced options
        </AccordionHeader>
        <AccordionPanel>
          <div className={styles.panel}>
            {choices.models.length > 0 && (
              <ModelSelect
                value={value.model}
                models={choices.models}
                defaultModel={choices.defaultModel}
                onChange={(model) => onChange({ model })}
              />
            )}
            <div className={styles.row}>
              <Field label="Seed" hint="Empty for random" validationMessage={errors.seed}>
                <Input
                  className={styles.input}
                  inputMode="numeric"
                  value={value.seed}
                  placeholder="Random"
                  onChange={(_, data) => onChange({ seed: data.value })}
                  contentAfter={
                    <Button
                      appearance="transparent"
                      size="small"
                      icon={<ArrowShuffle20Regular />}
                      aria-label="Pick a random seed"
                      title="Pick a random seed"
                      onClick={() =>
                        onChange({ seed: String(Math.floor(Math.random() * MAX_SEED)) })
                      }
                    />
                  }
                />
              </Field>
              <Field label="Steps" hint="Empty for the model's" validationMessage={errors.steps}>
                <Input
                  className={styles.input}
                  inputMode="numeric"
                  value={value.steps}
                  placeholder="Default"
                  onChange={(_, data) => onChange({ steps: data.value })}
                />
              </Field>
            </div>
            <Field label="Leave out" hint="A negative prompt: what the image should not have">
              <Textarea
                value={value.negativePrompt}
                rows={2}
                resize="vertical"
                onChange={(_, data) => onChange({ negativePrompt: data.value })}
              />
            </Field>
          </div>
        </AccordionPanel>
      </AccordionItem>
    </Accordion>
  );
}
