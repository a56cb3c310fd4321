/** Turns classifier scores into a verdict: pure, so it is tested without the model. */
import { z } from "zod";
import { defaultDataDir, readDataFile } from "./data-files";
import { safetyCategories, type PolicyLevel, type SafetyVerdict } from "./policy";

export const imageClasses = ["Drawing", "Hentai", "Neutral", "Porn", "Sexy"] as const;

const ruleSchema = z
  .object({
    category: z.enum(safetyCategories),
    classes: z.array(z.enum(imageClasses)).min(1),
    threshold: z.number().min(0).max(1),
    reason: z.string().min(1),
  })
  .strict();

export const imageThresholdsSchema = z
  .object({
    $comment: z.string().optional(),
    moderate: z.array(ruleSchema),
    strict: z.array(ruleSchema),
  })
  .strict();
export type ImageThresholds = z.infer<typeof imageThresholdsSchema>;

export interface ImageVerdict extends SafetyVerdict {
  /** Class probabilities from the classifier, e.g. { Neutral: 0.91, Drawing: 0.05, ... }. */
  scores: Record<string, number>;
}

export function loadImageThresholds(dataDir: string = defaultDataDir): ImageThresholds {
  return readDataFile(dataDir, "image-thresholds.json", imageThresholdsSchema);
}

/** The first rule of `level` whose classes add up to its threshold blocks the image. */
export function decideImage(
  scores: Record<string, number>,
  level: PolicyLevel,
  thresholds: ImageThresholds
): ImageVerdict {
  for (const rule of thresholds[level]) {
    const total = rule.classes.reduce((sum, cls) => sum + (scores[cls] ?? 0), 0);
    if (total >= rule.threshold)
      return { allowed: false, category: rule.category, reason: rule.reason, scores };
  }
  return { allowed: true, scores };
}
