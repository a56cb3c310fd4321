/**
 * Prompt filter: the rules of the lower level first, categories in the order of prompt-rules.json
 * (the first that matches names the block), each rule on the normalised prompt with that
 * category's allowed phrases masked out. Contexts mask words whose innocent sense the rest of the prompt makes
 * clear ("tits" among bird words, "faggots" among food words), unless a word that undoes the
 * context is also there.
 */
import { z } from "zod";
import { defaultDataDir, readDataFile, SafetyDataError } from "./data-files";
import { Normalizer, normalizationSchema, type NormalizationRules } from "./normalize";
import { levelApplies, policyLevels, safetyCategories, type PolicyLevel, type SafetyCategory, type SafetyVerdict } from "./policy";
import { termSource, unionRegex } from "./term-pattern";

const terms = z.array(z.string().min(1)).min(1);
const level = z.enum(policyLevels);
const category = z.enum(safetyCategories);
const listName = z.string().regex(/^[a-z_]+$/);

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
    lists: z.record(listName, terms),
    categories: z
      .array(z.object({ category, reason: z.string().min(1), rules: z.array(ruleSchema).min(1) }).strict())
      .refine((cs) => new Set(cs.map((c) => c.category)).size === cs.length, "a category is listed twice"),
  })
  .strict();

const contextSchema = z
  .object({
    name: listName,
    $comment: z.string().optional(),
    /** The context holds when one of these occurs anywhere in the prompt. */
    when: terms,
    /** Terms that no longer count while the context holds. */
    allow: terms,
    /** ...unless one of these occurs once they are masked ("big" or "woman" near "tits"). */
    unless: terms.optional(),
    /** An allowed term directly after one of these words still counts ("having sex on the beach"). */
    notAfter: z.array(z.string().regex(/^[a-z]+$/, "one lower-case word")).min(1).optional(),
    /** Only these categories use the context; all when left out. */
    categories: z.array(category).min(1).optional(),
  })
  .strict();

export const promptAllowSchema = z
  .object({
    $comment: z.string().optional(),
    /** More named term lists, for contexts; names must differ from those in prompt-rules.json. */
    lists: z.record(listName, terms).optional(),
    /** Phrases ignored by every category ("chicken breast"). */
    everywhere: z.array(z.string().min(1)),
    /** Phrases ignored by one category only ("suicide squad" for self_harm). */
    byCategory: z.partialRecord(category, z.array(z.string().min(1))),
    contexts: z
      .array(contextSchema)
      .refine((cs) => new Set(cs.map((c) => c.name)).size === cs.length, "a context is named twice")
      .optional(),
  })
  .strict();

export interface PromptExplanation {
  category: SafetyCategory;
  rule: number;
  /** The normalised words that matched, one per group of the rule. */
  matched: string[];
  /** Contexts that masked words before the rule ran. */
  contexts: string[];
}

export interface PromptFilter {
  checkPrompt(text: string, level: PolicyLevel): SafetyVerdict;
  /**
   * Which category and rule blocked `text`, and the normalised words that triggered it.
   * For admins tuning the data files: do not show it to end users or write it to logs.
   */
  explain(text: string, level: PolicyLevel): PromptExplanation | undefined;
}

interface CompiledRule {
  level: PolicyLevel;
  groups: RegExp[];
}
interface CompiledContext {
  name: string;
  when: RegExp;
  allow: RegExp;
  unless?: RegExp;
  categories?: SafetyCategory[];
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
  const { categories, contexts } = compile(rules, allow, normalization.confusables, dataDir);
  const normalizer = new Normalizer(normalization);

  /** The prompt as one category sees it: contexts applied, then allowed phrases masked. */
  function view(searchable: string, c: CompiledCategory, applied: string[]): string {
    let text = searchable;
    for (const ctx of contexts) {
      if (ctx.categories && !ctx.categories.includes(c.category)) continue;
      if (!ctx.when.test(text)) continue;
      const masked = text.replace(ctx.allow, " ");
      if (masked === text || ctx.unless?.test(masked)) continue;
      text = masked;
      applied.push(ctx.name);
    }
    return c.mask ? text.replace(c.mask, " ") : text;
  }

  /**
   * Rules of `moderate` are tried before those of `strict`, each level in category order, so a
   * prompt that is clearly harmful in one category is named by it even if another category's
   * stricter rule would also match.
   */
  function firstMatch(text: string, active: PolicyLevel) {
    const searchable = normalizer.searchable(text);
    const views = new Map<CompiledCategory, { masked: string; applied: string[] }>();
    for (const level of policyLevels.filter((l) => levelApplies(l, active))) {
      for (const c of categories) {
        if (!c.rules.some((r) => r.level === level)) continue;
        let seen = views.get(c);
        if (!seen) {
          const applied: string[] = [];
          seen = { masked: view(searchable, c, applied), applied };
          views.set(c, seen);
        }
        const { masked, applied } = seen;
        const rule = c.rules.findIndex((r) => r.level === level && r.groups.every((g) => g.test(masked)));
        if (rule >= 0) return { category: c, rule, masked, applied };
      }
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
      return { category: hit.category.category, rule: hit.rule, matched, contexts: [...new Set(hit.applied)] };
    },
  };
}

function compile(
  rules: z.infer<typeof promptRulesSchema>,
  allow: z.infer<typeof promptAllowSchema>,
  confusables: NormalizationRules["confusables"],
  dataDir: string,
): { categories: CompiledCategory[]; contexts: CompiledContext[] } {
  const problems: string[] = [];
  const lists: Record<string, string[]> = { ...rules.lists };
  for (const [name, list] of Object.entries(allow.lists ?? {})) {
    if (name in lists) problems.push(`prompt-allow.json lists.${name}: prompt-rules.json has a list of that name`);
    lists[name] = list;
  }

  // Each list is expanded once: lists are shared by many rules and phrases.
  const expanded = new Map<string, string[]>();
  const listSources = (name: string, within: string[]): string[] | { error: string } => {
    const named = lists[name];
    if (!named) return { error: `no list named "${name}"` };
    if (within.includes(name)) return { error: `lists.${name} refers to itself through ${within.join(" → ")}` };
    let sources = expanded.get(name);
    if (!sources) {
      sources = sourcesOf(`lists.${name}`, named, [...within, name]);
      expanded.set(name, sources);
    }
    return sources;
  };
  const sourcesOf = (where: string, list: string[], within: string[] = []): string[] =>
    list.flatMap((term) => {
      if (term.startsWith("@") && !/\s/.test(term.trim())) {
        const sources = listSources(term.slice(1), within);
        if ("error" in sources) problems.push(`${where}: ${sources.error}`);
        return "error" in sources ? [] : sources;
      }
      const compiled = termSource(term, confusables, (name) => {
        const sources = listSources(name, within);
        if ("error" in sources) return sources;
        return { source: [...new Set(sources)].sort((a, b) => b.length - a.length).join("|") };
      });
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
  const contexts = (allow.contexts ?? []).map((ctx) => {
    const where = `prompt-allow.json contexts.${ctx.name}`;
    const notAfter = ctx.notAfter?.join("|");
    return {
      name: ctx.name,
      categories: ctx.categories,
      when: unionRegex(sourcesOf(`${where}.when`, ctx.when)),
      allow: unionRegex(sourcesOf(`${where}.allow`, ctx.allow), "g", notAfter),
      unless: ctx.unless ? unionRegex(sourcesOf(`${where}.unless`, ctx.unless)) : undefined,
    };
  });
  if (problems.length) throw new SafetyDataError(dataDir, "\n" + [...new Set(problems)].join("\n"));
  return { categories, contexts };
}
