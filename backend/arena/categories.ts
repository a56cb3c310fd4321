// Prompt categories for the per-category leaderboards: the first category of categories.json one of
// whose words the prompt contains, else "other". A word list, not a classifier: anyone can read
// why a prompt landed where it did, and the admin's own vocabulary can be added to the file.
import { readFileSync } from "node:fs";

interface CategoryDef {
  name: string;
  label: string;
  words: string[];
}

const defs: CategoryDef[] = JSON.parse(
  readFileSync(new URL("./categories.json", import.meta.url), "utf8")
).categories;
const wordSets = defs.map((d) => ({ name: d.name, words: new Set(d.words) }));

export const OTHER_CATEGORY = "other";
export const categoryNames: readonly string[] = [...defs.map((d) => d.name), OTHER_CATEGORY];
export const categoryLabels: Readonly<Record<string, string>> = Object.fromEntries([
  ...defs.map((d) => [d.name, d.label]),
  [OTHER_CATEGORY, "Other"],
]);

/** The category of a prompt: whole words, case and accents ignored. */
export function promptCategory(prompt: string): string {
  const words = new Set(
    prompt
      .normalize("NFKD")
      .replace(/\p{M}/gu, "")
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
  );
  for (const { name, words: vocabulary } of wordSets) {
    for (const w of words) if (vocabulary.has(w)) return name;
  }
  return OTHER_CATEGORY;
}
