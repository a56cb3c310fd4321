/**
 * Prompt filter: the rules of the lower level first, categories in the order of prompt-rules.json
 * (the first that matches names the block), each rule on the normalised prompt with that
 * category's allowed phrases masked out. Contexts mask words whose innocent sense the rest of the prompt makes
 * clear ("tits" among bird words, "faggots" among food words), unless a word that undoes the
 * context is also there.
 */
import { z } from "zod";
import { defaultDataDir, readDataFile, SafetyDataError } from "./data-files";
import {
  Normalizer,
  normalizationSchema,
  normalizeTerm,
  type NormalizationRules,
} from "./normalize";
import {
  levelApplies,
  policyLevels,
  safetyCategories,
  type PolicyLevel,
  type SafetyCategory,
  type SafetyVerdict,
} from "./policy";
import { loadPromptClassifier, promptForms } from "./prompt-classifier";
import { anyOf, termMatcher, termSource, unionRegex, type TermMatcher } from "./term-pattern";

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
  .refine(
    (r) => (r.anyOf === undefined) !== (r.allOf === undefined),
    "a rule needs exactly one of anyOf or allOf"
  );

export const promptRulesSchema = z
  .object({
    $comment: z.string().optional(),
    /** Named term lists; a rule refers to one as "@name". */
    lists: z.record(listName, terms),
    categories: z
      .array(
        z
          .object({ category, reason: z.string().min(1), rules: z.array(ruleSchema).min(1) })
          .strict()
      )
      .refine(
        (cs) => new Set(cs.map((c) => c.category)).size === cs.length,
        "a category is listed twice"
      ),
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
    notAfter: z
      .array(z.string().regex(/^[a-z]+$/, "one lower-case word"))
      .min(1)
      .optional(),
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
  /** The end user's message for the category, as `checkPrompt` gives it. */
  reason: string;
  /** What blocked it: a term-list rule or the learned classifier. */
  source: "terms" | "classifier";
  /** Index of the rule in its category (terms only). */
  rule?: number;
  /** The classifier's harm score, 0..1 (classifier only). */
  harm?: number;
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
  groups: TermMatcher[];
}
interface CompiledContext {
  name: string;
  when: TermMatcher;
  allow: RegExp;
  unless?: TermMatcher;
  categories?: SafetyCategory[];
}
interface CompiledCategory {
  category: SafetyCategory;
  reason: string;
  mask?: RegExp;
  rules: CompiledRule[];
}

/** The normaliser the filter reads prompts with, for the classifier's training data too. */
export function loadPromptNormalizer(dataDir: string = defaultDataDir): Normalizer {
  const normalization = readDataFile(dataDir, "normalization.json", normalizationSchema);
  return normalizerFor(
    normalization,
    readDataFile(dataDir, "prompt-rules.json", promptRulesSchema)
  );
}

function normalizerFor(
  normalization: NormalizationRules,
  rules: z.infer<typeof promptRulesSchema>
): Normalizer {
  return new Normalizer(normalization, ingWordsOf(rules, normalization.confusables));
}

export interface PromptFilterOptions {
  /** Ask the learned classifier about prompts the term lists let through (default: true). */
  classifier?: boolean;
}

export function loadPromptFilter(
  dataDir: string = defaultDataDir,
  options: PromptFilterOptions = {}
): PromptFilter {
  const normalization = readDataFile(dataDir, "normalization.json", normalizationSchema);
  const rules = readDataFile(dataDir, "prompt-rules.json", promptRulesSchema);
  const allow = readDataFile(dataDir, "prompt-allow.json", promptAllowSchema);
  const { categories, contexts, everywhere } = compile(
    rules,
    allow,
    normalization.confusables,
    dataDir
  );
  const normalizer = normalizerFor(normalization, rules);
  const classifier = options.classifier === false ? undefined : loadPromptClassifier(dataDir);
  const reasonOf = new Map(categories.map((c) => [c.category, c.reason]));
  const unnamed = classifier?.categories.filter((c) => !reasonOf.has(c)) ?? [];
  if (unnamed.length)
    throw new SafetyDataError(
      dataDir,
      `the classifier's ${unnamed.join(", ")} have no reason in prompt-rules.json`
    );

  /**
   * The prompt as one category sees it: contexts applied, then the phrases allowed everywhere and
   * those allowed for the category masked. Most categories see the same text at each step, so
   * each step is worked out once per text (`memo`) rather than once per category.
   */
  function view(
    searchable: string,
    c: CompiledCategory,
    applied: string[],
    memo: Map<string, string>
  ): string {
    let text = searchable;
    for (const [i, ctx] of contexts.entries()) {
      if (ctx.categories && !ctx.categories.includes(c.category)) continue;
      const key = `${i}\u0000${text}`;
      let next = memo.get(key);
      if (next === undefined) {
        const masked = ctx.when.test(text) ? text.replace(ctx.allow, " ") : text;
        next = masked === text || ctx.unless?.test(masked) ? text : masked;
        memo.set(key, next);
      }
      if (next !== text) applied.push(ctx.name);
      text = next;
    }
    if (everywhere) {
      const key = `everywhere\u0000${text}`;
      let next = memo.get(key);
      if (next === undefined) memo.set(key, (next = text.replace(everywhere, " ")));
      text = next;
    }
    return c.mask ? text.replace(c.mask, " ") : text;
  }

  /**
   * Rules of `moderate` are tried before those of `strict`, each level in category order, so a
   * prompt that is clearly harmful in one category is named by it even if another category's
   * stricter rule would also match.
   */
  function firstMatch(searchable: string, active: PolicyLevel) {
    const views = new Map<CompiledCategory, { masked: string; applied: string[] }>();
    const memo = new Map<string, string>();
    for (const level of policyLevels.filter((l) => levelApplies(l, active))) {
      for (const c of categories) {
        if (!c.rules.some((r) => r.level === level)) continue;
        let seen = views.get(c);
        if (!seen) {
          const applied: string[] = [];
          seen = { masked: view(searchable, c, applied, memo), applied };
          views.set(c, seen);
        }
        const { masked, applied } = seen;
        const rule = c.rules.findIndex(
          (r) => r.level === level && r.groups.every((g) => g.test(masked))
        );
        if (rule >= 0) return { category: c, rule, masked, applied };
      }
    }
    return undefined;
  }

  /**
   * The term lists first; what they let through, the classifier reads for its meaning. A term
   * match is never lifted by the classifier: it scores a harmful request among innocent words
   * ("a gunman shooting at the crowd in a soccer stadium") too low to be trusted with that.
   */
  function decide(text: string, active: PolicyLevel) {
    const searchable = normalizer.searchable(text);
    const hit = firstMatch(searchable, active);
    if (hit) return { hit };
    const verdict = classifier?.classify(promptForms(searchable), active);
    return verdict?.blocked ? { verdict } : {};
  }

  return {
    checkPrompt(text, active) {
      const { hit, verdict } = decide(text, active);
      const category = hit?.category.category ?? verdict?.category;
      return category
        ? { allowed: false, category, reason: reasonOf.get(category)! }
        : { allowed: true };
    },
    explain(text, active) {
      const { hit, verdict } = decide(text, active);
      if (verdict)
        return {
          category: verdict.category,
          reason: reasonOf.get(verdict.category)!,
          source: "classifier",
          harm: verdict.harm,
          matched: [],
          contexts: [],
        };
      if (!hit) return undefined;
      const matched = hit.category.rules[hit.rule].groups.map((g) => g.match(hit.masked) ?? "");
      return {
        category: hit.category.category,
        reason: reasonOf.get(hit.category.category)!,
        source: "terms",
        rule: hit.rule,
        matched,
        contexts: [...new Set(hit.applied)],
      };
    },
  };
}

function compile(
  rules: z.infer<typeof promptRulesSchema>,
  allow: z.infer<typeof promptAllowSchema>,
  confusables: NormalizationRules["confusables"],
  dataDir: string
): { categories: CompiledCategory[]; contexts: CompiledContext[]; everywhere?: RegExp } {
  const problems: string[] = [];
  const lists: Record<string, string[]> = { ...rules.lists };
  for (const [name, list] of Object.entries(allow.lists ?? {})) {
    if (name in lists)
      problems.push(`prompt-allow.json lists.${name}: prompt-rules.json has a list of that name`);
    lists[name] = list;
  }

  // Each list is expanded once: lists are shared by many rules and phrases.
  const expanded = new Map<string, string[]>();
  const listSources = (name: string, within: string[]): string[] | { error: string } => {
    const named = lists[name];
    if (!named) return { error: `no list named "${name}"` };
    if (within.includes(name))
      return { error: `lists.${name} refers to itself through ${within.join(" → ")}` };
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

  // A list named on its own in several rules and contexts ("@violence_graphic") is compiled once.
  const listMatchers = new Map<string, TermMatcher>();
  const matcherOf = (where: string, terms: string[]): TermMatcher => {
    const named = terms.filter((t) => /^@[a-z_]+$/.test(t.trim()) && t.trim().slice(1) in lists);
    const rest = terms.filter((t) => !named.includes(t));
    const parts = named.map((t) => {
      const name = t.trim().slice(1);
      let m = listMatchers.get(name);
      if (!m) listMatchers.set(name, (m = termMatcher(sourcesOf(where, [t]))));
      return m;
    });
    if (rest.length) parts.push(termMatcher(sourcesOf(where, rest)));
    return anyOf(parts);
  };

  const everywhereSources = sourcesOf("prompt-allow.json everywhere", allow.everywhere);
  const everywhere = everywhereSources.length ? unionRegex(everywhereSources, "g") : undefined;
  const categories = rules.categories.map((c) => {
    const where = `prompt-rules.json ${c.category}`;
    const maskSources = sourcesOf(
      `prompt-allow.json ${c.category}`,
      allow.byCategory[c.category] ?? []
    );
    return {
      category: c.category,
      reason: c.reason,
      mask: maskSources.length ? unionRegex(maskSources, "g") : undefined,
      rules: c.rules.map((r, i) => ({
        level: r.level,
        groups: (r.anyOf ? [r.anyOf] : (r.allOf ?? [])).map((g) =>
          matcherOf(`${where} rule ${i}`, g)
        ),
      })),
    };
  });
  const contexts = (allow.contexts ?? []).map((ctx) => {
    const where = `prompt-allow.json contexts.${ctx.name}`;
    const notAfter = ctx.notAfter?.join("|");
    return {
      name: ctx.name,
      categories: ctx.categories,
      when: matcherOf(`${where}.when`, ctx.when),
      allow: unionRegex(sourcesOf(`${where}.allow`, ctx.allow), "g", notAfter),
      unless: ctx.unless ? matcherOf(`${where}.unless`, ctx.unless) : undefined,
    };
  });
  if (problems.length) throw new SafetyDataError(dataDir, "\n" + [...new Set(problems)].join("\n"));
  return { categories, contexts, everywhere };
}

/** Every word ending in "ing" in the rules' terms, for reading a dropped "g" ("stabbin"). */
function ingWordsOf(
  rules: z.infer<typeof promptRulesSchema>,
  confusables: NormalizationRules["confusables"]
): Set<string> {
  const terms = [
    ...Object.values(rules.lists).flat(),
    ...rules.categories.flatMap((c) =>
      c.rules.flatMap((r) => (r.anyOf ? r.anyOf : (r.allOf ?? []).flat()))
    ),
  ];
  const words = new Set<string>();
  for (const term of terms) {
    if (term.startsWith("/")) continue;
    for (const word of normalizeTerm(term, confusables).split(" "))
      if (/^[a-z]+ing$/.test(word)) words.add(word);
  }
  return words;
}
