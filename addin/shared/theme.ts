// Light, dark or high contrast: Office's theme inside Office, the system's in a browser.
import { useEffect, useState } from "react";
import {
  createDarkTheme,
  createLightTheme,
  teamsHighContrastTheme,
  type BrandVariants,
  type Theme,
} from "@fluentui/react-components";

export type ThemeKind = "light" | "dark" | "highContrast";

/** Lumen's indigo, the colour of the icon's sky. */
const lumenBrand: BrandVariants = {
  10: "#2b2b40",
  20: "#2f2f4a",
  30: "#333357",
  40: "#383966",
  50: "#3d3e78",
  60: "#444791",
  70: "#4f52b2",
  80: "#5b5fc7",
  90: "#7579eb",
  100: "#7f85f5",
  110: "#9299f7",
  120: "#aab1fa",
  130: "#b6bcfa",
  140: "#c5cbfa",
  150: "#dce0fa",
  160: "#e8ebfa",
};

const dark = createDarkTheme(lumenBrand);
// Fluent's guidance for dark themes: brand-coloured text one step lighter than the ramp gives.
dark.colorBrandForeground1 = lumenBrand[110];
dark.colorBrandForeground2 = lumenBrand[120];

export const themes: Record<ThemeKind, Theme> = {
  light: createLightTheme(lumenBrand),
  dark,
  highContrast: teamsHighContrastTheme,
};

function luminance(hex: string): number {
  const m = /^#?([\da-f]{2})([\da-f]{2})([\da-f]{2})/i.exec(hex);
  if (!m) return 1;
  const [r, g, b] = m.slice(1).map((h) => parseInt(h, 16) / 255);
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Office's theme (isDarkTheme where available, else the task pane's background colour). */
export function officeThemeKind(theme: Office.OfficeTheme | undefined): ThemeKind | undefined {
  if (!theme) return undefined;
  if (typeof theme.isDarkTheme === "boolean") return theme.isDarkTheme ? "dark" : "light";
  return theme.bodyBackgroundColor
    ? luminance(theme.bodyBackgroundColor) < 0.5
      ? "dark"
      : "light"
    : undefined;
}

function systemThemeKind(): ThemeKind {
  if (matchMedia("(forced-colors: active)").matches) return "highContrast";
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

function currentThemeKind(inOffice: boolean): ThemeKind {
  const system = systemThemeKind();
  // Windows high contrast reaches the Office web view as forced colours; it wins over Office's theme.
  if (system === "highContrast" || !inOffice) return system;
  let office: Office.OfficeTheme | undefined;
  try {
    office = Office.context.officeTheme;
  } catch {
    // Not every host exposes the theme.
  }
  return officeThemeKind(office) ?? system;
}

export function useThemeKind(inOffice: boolean): ThemeKind {
  const [kind, setKind] = useState<ThemeKind>(() => currentThemeKind(inOffice));
  useEffect(() => {
    const update = () => setKind(currentThemeKind(inOffice));
    update();
    const queries = ["(forced-colors: active)", "(prefers-color-scheme: dark)"].map((q) =>
      matchMedia(q)
    );
    queries.forEach((q) => q.addEventListener("change", update));
    if (inOffice) {
      try {
        Office.context.document.addHandlerAsync(Office.EventType.OfficeThemeChanged, update);
      } catch {
        // Hosts without the event keep the theme they opened with.
      }
    }
    return () => queries.forEach((q) => q.removeEventListener("change", update));
  }, [inOffice]);
  return kind;
}
