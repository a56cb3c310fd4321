/**
 * Azure AI Content Safety as a safety provider: prompts through text:analyze, images through
 * image:analyze, each harm category blocked at or above the tenant's severity threshold, and
 * the tenant's custom blocklists passed through.
 */
import sharp from "sharp";
import type { ImageInput } from "../image-checker";
import type { PolicyLevel } from "../policy";
import type { SafetyDecision } from "../safety-check";
import {
  harmCategories,
  MAX_TEXT_LENGTH,
  type ContentSafetyClient,
  type HarmCategory,
} from "./content-safety-client";

/** Block at or above these severities (0–7; images are rated 0, 2, 4 or 6). */
export type SeverityThresholds = Record<HarmCategory, number>;

/** Azure's "medium" at moderate, "low" at strict; a tenant policy may set each category. */
export const defaultThresholds: Record<PolicyLevel, SeverityThresholds> = {
  moderate: { Hate: 4, SelfHarm: 4, Sexual: 4, Violence: 4 },
  strict: { Hate: 2, SelfHarm: 2, Sexual: 2, Violence: 2 },
};

export interface AzurePolicy {
  /** Per category; those left out follow the service's level. */
  thresholds?: Partial<SeverityThresholds>;
  blocklists?: string[];
  haltOnBlocklistHit?: boolean;
}

const lumenCategory: Record<HarmCategory, string> = {
  Hate: "hate",
  SelfHarm: "self_harm",
  Sexual: "sexual",
  Violence: "violence",
};

const promptReasons: Record<string, string> = {
  hate: "This request contains hateful or harassing content, which this service does not generate.",
  self_harm:
    "This request depicts self-harm, which this service does not generate. If you are struggling, please talk to someone you trust or a local helpline.",
  sexual: "This request asks for sexual or explicit content, which this service does not generate.",
  violence:
    "This request asks for violent or gory content, which this service's content policy does not allow.",
  blocklist: "This request contains terms your organisation does not allow.",
};
const imageReasons: Record<string, string> = {
  hate: "The generated image was withheld because it appears to contain hateful content.",
  self_harm: "The generated image was withheld because it appears to depict self-harm.",
  sexual: "The generated image was withheld because it appears to contain sexual content.",
  violence: "The generated image was withheld because it appears to contain violent content.",
};

/** The largest image side and file size image:analyze accepts, and its smallest side. */
const MAX_SIDE = 2048;
const MIN_SIDE = 50;
const MAX_BYTES = 4 * 1024 * 1024;

export class AzureContentSafetyCheck {
  constructor(
    private readonly client: ContentSafetyClient,
    private readonly policy: AzurePolicy = {}
  ) {}

  thresholds(level: PolicyLevel): SeverityThresholds {
    return { ...defaultThresholds[level], ...this.policy.thresholds };
  }

  async checkPrompt(text: string, level: PolicyLevel): Promise<SafetyDecision> {
    const blocklistNames = this.policy.blocklists?.length ? this.policy.blocklists : undefined;
    // Prompts are shorter than the limit; longer text is checked in pieces and the worst piece counts.
    const chars = [...text];
    const pieces: string[] = [];
    for (let i = 0; i < chars.length; i += MAX_TEXT_LENGTH)
      pieces.push(chars.slice(i, i + MAX_TEXT_LENGTH).join(""));
    const results = await Promise.all(
      pieces.map((piece) =>
        this.client.analyzeText({
          text: piece,
          categories: [...harmCategories],
          ...(blocklistNames
            ? { blocklistNames, haltOnBlocklistHit: this.policy.haltOnBlocklistHit ?? true }
            : {}),
          outputType: "EightSeverityLevels",
        })
      )
    );
    const hit = results.flatMap((r) => r.blocklistsMatch ?? [])[0];
    if (hit) {
      return {
        allowed: false,
        category: "blocklist",
        reason: promptReasons.blocklist,
        provider: "azure",
        detail: `blocklist ${hit.blocklistName} item ${hit.blocklistItemId}`,
      };
    }
    return this.decide(
      results.flatMap((r) => r.categoriesAnalysis),
      level,
      promptReasons
    );
  }

  async checkImage(image: ImageInput, level: PolicyLevel): Promise<SafetyDecision> {
    const content = (await encodeForAnalysis(image)).toString("base64");
    const result = await this.client.analyzeImage({
      image: { content },
      categories: [...harmCategories],
      outputType: "FourSeverityLevels",
    });
    return this.decide(result.categoriesAnalysis, level, imageReasons);
  }

  /** The most severe category at or above its threshold blocks. */
  private decide(
    analysis: { category: string; severity?: number }[],
    level: PolicyLevel,
    reasons: Record<string, string>
  ): SafetyDecision {
    const thresholds = this.thresholds(level);
    let worst: { category: HarmCategory; severity: number } | undefined;
    for (const { category, severity = 0 } of analysis) {
      if (!(category in thresholds)) continue;
      const harm = category as HarmCategory;
      if (severity >= thresholds[harm] && (!worst || severity > worst.severity))
        worst = { category: harm, severity };
    }
    if (!worst) return { allowed: true, provider: "azure" };
    const category = lumenCategory[worst.category];
    return {
      allowed: false,
      category,
      reason: reasons[category],
      provider: "azure",
      detail: `${worst.category} severity ${worst.severity} (blocks at ${thresholds[worst.category]})`,
    };
  }
}

/** PNG within the API's limits: sides 50–2048 px, at most 4 MB (else JPEG). */
export async function encodeForAnalysis({ width, height, pixels }: ImageInput): Promise<Buffer> {
  let img = sharp(pixels, { raw: { width, height, channels: 3 } });
  const scale = Math.min(1, MAX_SIDE / Math.max(width, height));
  const up = Math.max(1, MIN_SIDE / Math.min(width * scale, height * scale));
  if (scale < 1 || up > 1) {
    img = img.resize(Math.round(width * scale * up), Math.round(height * scale * up), {
      fit: "fill",
    });
  }
  const png = await img.clone().png().toBuffer();
  return png.length <= MAX_BYTES ? png : img.jpeg({ quality: 90 }).toBuffer();
}
