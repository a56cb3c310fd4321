/** Vocabulary shared by the prompt filter and the image checker. */

export const safetyCategories = [
  "sexual",
  "minors",
  "violence",
  "self_harm",
  "hate",
  "public_figures",
  "torture",
  "weapons",
  "extremism",
  "illegal",
  "animal_cruelty",
] as const;
export type SafetyCategory = (typeof safetyCategories)[number];

/** `strict` blocks everything `moderate` blocks, and more. */
export const policyLevels = ["moderate", "strict"] as const;
export type PolicyLevel = (typeof policyLevels)[number];

export interface SafetyVerdict {
  allowed: boolean;
  category?: SafetyCategory;
  /** Short message for the end user; never repeats the words that matched. */
  reason?: string;
}

/** Whether a rule written for `ruleLevel` applies when the service runs at `activeLevel`. */
export function levelApplies(ruleLevel: PolicyLevel, activeLevel: PolicyLevel): boolean {
  return policyLevels.indexOf(ruleLevel) <= policyLevels.indexOf(activeLevel);
}
