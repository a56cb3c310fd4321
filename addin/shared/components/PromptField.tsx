// The prompt: what to paint. Ctrl+Enter (⌘+Enter) generates from anywhere in the box.
import { Field, Textarea, makeStyles } from "@fluentui/react-components";
import { forwardRef } from "react";
import { MAX_PROMPT_LENGTH } from "../../../contract";

const useStyles = makeStyles({
  textarea: { width: "100%" },
});

export interface PromptFieldProps {
  value: string;
  onChange(value: string): void;
  onSubmit(): void;
  error?: string;
  rows?: number;
  label?: string;
}

export const PromptField = forwardRef<HTMLTextAreaElement, PromptFieldProps>(function PromptField(
  { value, onChange, onSubmit, error, rows = 4, label = "Describe your image" },
  ref
) {
  const styles = useStyles();
  return (
    <Field label={label} validationMessage={error} hint="Ctrl+Enter to generate">
      <Textarea
        ref={ref}
        className={styles.textarea}
        value={value}
        rows={rows}
        resize="vertical"
        maxLength={MAX_PROMPT_LENGTH}
        placeholder="A misty lake at sunrise, pine-covered hills reflecting in still water"
        onChange={(_, data) => onChange(data.value)}
        onKeyDown={(event) => {
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
            event.preventDefault();
            onSubmit();
          }
        }}
      />
    </Field>
  );
});
