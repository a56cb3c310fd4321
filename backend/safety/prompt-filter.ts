/**
 * Prompt filter: categories are tried in the order of prompt-rules.json (the first that
 * matches names the block), each rule on the normalised prompt with that category's allowed
 * phrases masked out.
 */
import { z } from "zod";
import { defaultDataDir, readDataFile, SafetyDataError } from "./data-files";
import { Normalizer, normalizationSchema, type NormalizationRules } from "./normalize";
import { levelApplies, policyLevels, safetyCategories, type PolicyLevel, type SafetyCategory, type SafetyVerdict } from "./policy";
import { termSource, unionRegex } from "./term-pattern";

const terms = z.array(z.string().min(1)).min(1);
const level = z.enum(policyLevels);
const category = z.enum(safetyCategories);

const ruleSchema = z
  .object({
    level,
    /** Blocks when any of the terms occurs. */
    anyOf: terms.optional(),
    /** Blocks when every group has a term that occurs ("a child" and "naked", anywhere in the prompt). */
    allOf: z.array(terms).min(2).optional(),
  })
  .strict()
  .refine((r) => (r.anyOf === undefined) !== (r.allOf === undefined), "a rule needs exactly one of anyOf or allOf");

export const promptRulesSchema = z
  .object({
    $comment: z.string().optional(),
    /** Named term lists; a rule refers to one as "@name". */
    lists: z.record(z.string().regex(/^[a-z_]+$/), terms),
    categories: z
      .array(z.object({ category, reason: z.string().min(1), rules: z.array(ruleSchema).min(1) }).strict())
      .refine((cs) => new Set(cs.map((c) => c.category)).size === cs.length, "a category is listed twice"),
  })
  .strict();

export const promptAllowSchema = z
  .object({
    $comment: z.string().optional(),
    /** Phrases ignored by every category ("chicken breast"). */
    everywhere: z.array(z.string().min(1)),
    /** Phrases ignored by one category only ("suicide squad" for self_harm). */
    byCategory: z.partialRecord(category, z.array(z.string().min(1))),
  })
  .strict();

export interface PromptFilter {
  checkPrompt(text: string, level: PolicyLevel): SafetyVerdict;
  /**
   * Which category and rule blocked `text`, and the normalised words that triggered it.
   * For admins tuning the data files: do not show it to end users or write it to logs.
   */
  explain(text: string, level: PolicyLevel): { category: SafetyCategory; rule: number; matched: string[] } | undefined;
}

interface CompiledRule {
  level: PolicyLevel;
  groups: RegExp[];
}
interface CompiledCategory {
  category: SafetyCategory;
  reason: string;
  mask?: RegExp;
  rules: CompiledRule[];
}

export function loadPromptFilter(dataDir: string = defaultDataDir): PromptFilter {
  const normalization = readDataFile(dataDir, "normalization.json", normalizationSchema);
  const rules = readDataFile(dataDir, "prompt-rules.json", promptRulesSchema);
  const allow = readDataFile(dataDir, "prompt-allow.json", promptAllowSchema);
  const categories = compile(rules, allow, normalization.confusables, dataDir);
  const normalizer = new Normalizer(normalization);

  function firstMatch(text: string, active: PolicyLevel) {
    const searchable = normalizer.searchable(text);
    for (const c of categories) {
      const masked = c.mask ? searchable.replace(c.mask, " ") : searchable;
      const rule = c.rules.findIndex((r) => levelApplies(r.level, active) && r.groups.every((g) => g.test(masked)));
      if (rule >= 0) return { category: c, rule, masked };
    }
    return undefined;
  }

  return {
    checkPrompt(text, active) {
      const hit = firstMatch(text, active);
      return hit ? { allowed: false, category: hit.category.category, reason: hit.category.reason } : { allowed: true };
    },
    explain(text, active) {
      const hit = firstMatch(text, active);
      if (!hit) return undefined;
      const matched = hit.category.rules[hit.rule].groups.map((g) => hit.masked.match(g)?.[0] ?? "");
      return { category: hit.category.category, rule: hit.rule, matched };
    },
  };
}

function compile(
  rules: z.infer<typeof promptRulesSchema>,
  allow: z.infer<typeof promptAllowSchema>,
  confusables: NormalizationRules["confusables"],
  dataDir: string,
): CompiledCategory[] {
  const problems: string[] = [];
  const sourcesOf = (where: string, list: string[], within: string[] = []): string[] =>
    list.flatMap((term) => {
      if (term.startsWith("@")) {
        const name = term.slice(1);
        const named = rules.lists[name];
        if (!named) problems.push(`${where}: no list named "${name}"`);
        if (within.includes(name)) problems.push(`lists.${name} refers to itself through ${within.join(" → ")}`);
        return named && !within.includes(name) ? sourcesOf(`lists.${name}`, named, [...within, name]) : [];
      }
      const compiled = termSource(term, confusables);
      if ("error" in compiled) problems.push(`${where}: ${compiled.error}`);
      return "source" in compiled ? [compiled.source] : [];
    });

  const everywhere = sourcesOf("prompt-allow.json everywhere", allow.everywhere);
  const categories = rules.categories.map((c) => {
    const where = `prompt-rules.json ${c.category}`;
    const maskSources = [...everywhere, ...sourcesOf(`prompt-allow.json ${c.category}`, allow.byCategory[c.category] ?? [])];
    return {
      category: c.category,
      reason: c.reason,
      mask: maskSources.length ? unionRegex(maskSources, "g") : undefined,
      rules: c.rules.map((r, i) => ({
        level: r.level,
        groups: (r.anyOf ? [r.anyOf] : (r.allOf ?? [])).map((g) => unionRegex(sourcesOf(`${where} rule ${i}`, g))),
      })),
    };
  });
  if (problems.length) throw new SafetyDataError(dataDir, "\n" + [...new Set(problems)].join("\n"));
  return categories;
}
