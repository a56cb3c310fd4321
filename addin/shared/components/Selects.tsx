// Style preset, number of images and model: compact native selects, offering only what the
// organisation's policy allows.
import { Field, Select } from "@fluentui/react-components";
import type { Choices, Style } from "../options";

export function StyleSelect({
  value,
  options,
  onChange,
}: {
  value: Style;
  options: Choices["styles"];
  onChange(style: Style): void;
}) {
  return (
    <Field label="Style">
      <Select value={value} onChange={(_, data) => onChange(data.value as Style)}>
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </Select>
    </Field>
  );
}

export function CountSelect({
  value,
  counts,
  onChange,
}: {
  value: number;
  counts: number[];
  onChange(count: number): void;
}) {
  const max = counts[counts.length - 1];
  return (
    <Field label="Images" hint={max < 4 ? `Up to ${max} at a time` : undefined}>
      <Select value={String(value)} onChange={(_, data) => onChange(Number(data.value))}>
        {counts.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </Select>
    </Field>
  );
}

/** Shown only when the policy allows more than one model; "" stands for the server's default. */
export function ModelSelect({
  value,
  models,
  defaultModel,
  onChange,
}: {
  value: string;
  models: string[];
  defaultModel: string;
  onChange(model: string): void;
}) {
  return (
    <Field label="Model">
      <Select
        value={value || defaultModel}
        onChange={(_, data) => onChange(data.value === defaultModel ? "" : data.value)}
      >
        {models.map((name) => (
          <option key={name} value={name}>
            {name === defaultModel ? `${name} (default)` : name}
          </option>
        ))}
      </Select>
    </Field>
  );
}
