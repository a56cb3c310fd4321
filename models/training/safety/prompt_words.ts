/**
 * Prints each evaluation prompt with the words the prompt classifier reads (the prompt filter's
 * normalised forms) and the category the term lists alone block it as (moderate level), one JSON
 * object per line, for train_classifier.py.
 *   node --import tsx models/training/safety/prompt_words.ts FILE.jsonl…
 */
import { readFileSync } from "node:fs";
import { loadPromptFilter, loadPromptNormalizer } from "../../../backend/safety/prompt-filter";
import { promptForms } from "../../../backend/safety/prompt-classifier";

const normalizer = loadPromptNormalizer();
// The term lists alone, so that training can weigh how the two combine.
const terms = loadPromptFilter(undefined, { classifier: false });
for (const file of process.argv.slice(2)) {
  for (const line of readFileSync(file, "utf8").split("\n")) {
    if (!line.trim()) continue;
    const prompt = JSON.parse(line) as Record<string, unknown> & { text: string };
    const forms = promptForms(normalizer.searchable(prompt.text));
    const termsBlock = terms.checkPrompt(prompt.text, "moderate").category ?? null;
    process.stdout.write(JSON.stringify({ ...prompt, forms, termsBlock }) + "\n");
  }
}
