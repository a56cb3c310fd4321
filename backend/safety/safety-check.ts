/**
 * The safety check the service runs: the built-in prompt filter and image checker first, then,
 * when configured, Azure AI Content Safety; either one blocks. When the provider fails, the
 * policy decides: fail closed (nothing is generated or delivered) or carry on with the built-in
 * verdict alone.
 */
import type { ImageChecker, ImageInput } from "./image-checker";
import type { PolicyLevel } from "./policy";
import type { PromptExplanation, PromptFilter } from "./prompt-filter";

export type SafetyProvider = "builtin" | "azure";

export interface SafetyDecision {
  allowed: boolean;
  /** A prompt-filter category, or "blocklist" for a tenant blocklist hit. */
  category?: string;
  /** Short message for the end user; never repeats the words that matched. */
  reason?: string;
  /** Which provider decided. */
  provider?: SafetyProvider;
  /** Why, for the audit log: a rule or a severity, never the prompt's words. */
  detail?: string;
}

export interface ImageDecision extends SafetyDecision {
  /** The built-in classifier's class probabilities, when it ran. */
  scores?: Record<string, number>;
}

export interface SafetyCheck {
  checkPrompt(text: string, level: PolicyLevel): Promise<SafetyDecision>;
  checkImage(image: ImageInput, level: PolicyLevel): Promise<ImageDecision>;
}

/** A second opinion after the built-in one. */
export interface SafetyProviderCheck {
  checkPrompt(text: string, level: PolicyLevel): Promise<SafetyDecision>;
  checkImage(image: ImageInput, level: PolicyLevel): Promise<SafetyDecision>;
}

/** The provider could not give a verdict and the policy fails closed. */
export class SafetyUnavailableError extends Error {
  override name = "SafetyUnavailableError";
  constructor(
    readonly provider: SafetyProvider,
    readonly cause: unknown
  ) {
    super(`safety service unavailable: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
}

export type FailureMode = "closed" | "builtin";

export interface SafetyCheckOptions {
  promptFilter: PromptFilter;
  imageChecker: ImageChecker;
  provider?: { name: SafetyProvider; check: SafetyProviderCheck; failureMode: FailureMode };
  /** Told about every provider failure, whatever the failure mode. */
  onProviderFailure?: (event: {
    provider: SafetyProvider;
    kind: "prompt" | "image";
    error: unknown;
    failureMode: FailureMode;
  }) => void;
}

export function createSafetyCheck(options: SafetyCheckOptions): SafetyCheck {
  const { promptFilter, imageChecker, provider } = options;

  async function second<T extends SafetyDecision>(
    kind: "prompt" | "image",
    builtin: T,
    ask: () => Promise<SafetyDecision>
  ): Promise<T | SafetyDecision> {
    if (!builtin.allowed || !provider) return builtin;
    try {
      const verdict = await ask();
      return verdict.allowed ? builtin : { ...builtin, ...verdict };
    } catch (error) {
      options.onProviderFailure?.({
        provider: provider.name,
        kind,
        error,
        failureMode: provider.failureMode,
      });
      if (provider.failureMode === "closed") throw new SafetyUnavailableError(provider.name, error);
      return builtin;
    }
  }

  return {
    async checkPrompt(text, level) {
      // explain() is checkPrompt() with the why attached: one pass of the rules and classifier
      const why = promptFilter.explain(text, level);
      const builtin: SafetyDecision = why
        ? {
            allowed: false,
            category: why.category,
            reason: why.reason,
            provider: "builtin",
            detail: describe(why),
          }
        : { allowed: true, provider: "builtin" };
      return second("prompt", builtin, () => provider!.check.checkPrompt(text, level));
    },
    async checkImage(image, level) {
      const verdict = await imageChecker.checkImage(image, level);
      const builtin: ImageDecision = {
        ...verdict,
        provider: "builtin",
        ...(verdict.allowed ? {} : { detail: `nsfwjs ${formatScores(verdict.scores)}` }),
      };
      return second("image", builtin, () => provider!.check.checkImage(image, level));
    },
  };
}

function formatScores(scores: Record<string, number>): string {
  return Object.entries(scores)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `${k} ${v.toFixed(2)}`)
    .join(", ");
}

/** The audit row's detail for a builtin block: the rule, or the classifier's harm score. */
function describe(why: PromptExplanation): string {
  if (why.source === "classifier") return `${why.category} classifier ${why.harm?.toFixed(2)}`;
  return `${why.category} rule ${why.rule}`;
}
