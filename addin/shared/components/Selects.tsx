// Style preset and number of images: compact native selects.
import { Field, Select } from "@fluentui/react-components";
import { STYLE_OPTIONS, type Style } from "../options";

export function StyleSelect({ value, onChange }: { value: Style; onChange(style: Style): void }) {
  return (
    <Field label="Style">
      <Select value={value} onChange={(_, data) => onChange(data.value as Style)}>
        {STYLE_OPTIONS.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </Select>
    </Field>
  );
}

export function CountSelect({ value, onChange }: { value: number; onChange(count: number): void }) {
  return (
    <Field label="Images">
      <Select value={String(value)} onChange={(_, data) => onChange(Number(data.value))}>
        {[1, 2, 3, 4].map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </Select>
    </Field>
  );
}
