// Aspect as a radio group (arrow keys move between choices), each with a shape of its ratio;
// only the aspects the organisation's policy allows.
import {
  Field,
  Toolbar,
  ToolbarRadioButton,
  ToolbarRadioGroup,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useId } from "react";
import { ASPECTS, type Aspect } from "../options";

const useStyles = makeStyles({
  toolbar: {
    padding: 0,
    display: "grid",
    gridAutoFlow: "column",
    gridAutoColumns: "1fr",
    gap: tokens.spacingHorizontalXS,
  },
  group: { display: "contents" },
  button: {
    flexDirection: "column",
    height: "56px",
    minWidth: 0,
    gap: tokens.spacingVerticalXXS,
    fontWeight: tokens.fontWeightRegular,
    fontSize: tokens.fontSizeBase200,
    border: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke1}`,
    '&[aria-checked="true"]': {
      border: `${tokens.strokeWidthThin} solid ${tokens.colorBrandStroke1}`,
      backgroundColor: tokens.colorBrandBackground2,
      color: tokens.colorBrandForeground2,
      fontWeight: tokens.fontWeightSemibold,
    },
  },
  shape: {
    display: "block",
    border: `1.5px solid currentColor`,
    borderRadius: "2px",
  },
});

export function AspectPicker({
  value,
  options = ASPECTS,
  onChange,
}: {
  value: Aspect;
  options?: typeof ASPECTS;
  onChange(aspect: Aspect): void;
}) {
  const styles = useStyles();
  const labelId = useId();
  return (
    <Field label={{ children: "Aspect", id: labelId }}>
      <Toolbar
        aria-labelledby={labelId}
        className={styles.toolbar}
        checkedValues={{ aspect: [value] }}
        onCheckedValueChange={(_, data) => onChange(data.checkedItems[0] as Aspect)}
      >
        <ToolbarRadioGroup className={styles.group} aria-labelledby={labelId}>
          {options.map((aspect) => {
            const box = 18;
            const width = aspect.ratio >= 1 ? box : box * aspect.ratio;
            const height = aspect.ratio >= 1 ? box / aspect.ratio : box;
            return (
              <ToolbarRadioButton
                key={aspect.value}
                name="aspect"
                value={aspect.value}
                appearance="subtle"
                aria-label={aspect.description}
                title={aspect.description}
                className={styles.button}
                icon={<span className={styles.shape} style={{ width, height }} aria-hidden />}
              >
                {aspect.label}
              </ToolbarRadioButton>
            );
          })}
        </ToolbarRadioGroup>
      </Toolbar>
    </Field>
  );
}
