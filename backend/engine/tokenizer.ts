// Prompt tokenization for diffusion text encoders.
// The byte-level BPE itself is @huggingface/tokenizers; this module adds what that library leaves
// to the caller: CLIP's text clean-up, start/end tokens, truncation that keeps the end token, and
// padding with the model's pad token.
import { readFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Tokenizer } from "@huggingface/tokenizers";
import { ModelError } from "./errors";
import { unknownWordsOf } from "./vocabulary";

export interface TokenizerConfig {
  model_max_length?: number;
  bos_token?: string | { content: string };
  eos_token?: string | { content: string };
  pad_token?: string | { content: string };
  unk_token?: string | { content: string };
}

export interface PromptTokenizer {
  /** Token ids of one prompt: [bos] + text[:max-2] + [eos], padded to maxLength. */
  encode(text: string): number[];
  readonly maxLength: number;
  readonly padId: number;
  /** The prompt's words this tokenizer's vocabulary cannot read (never any for byte-level BPE). */
  unknownWords(text: string): string[];
}

// CLIP's own pre-tokenizer split, as shipped in openai/clip-vit-large-patch14's tokenizer.json.
const CLIP_SPLIT =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

/** A tokenizer.json object for CLIP's BPE built from vocab.json + merges.txt (the older export layout). */
export function clipTokenizerJson(vocab: Record<string, number>, merges: string[]): object {
  const special = (content: string) => ({
    id: vocab[content],
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: "1.0",
    added_tokens: [special("<|startoftext|>"), special("<|endoftext|>")],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CLIP_SPLIT }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: "<|endoftext|>",
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}

const HTML_ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * CLIP's basic_clean + whitespace_clean. CLIP runs ftfy, html.unescape and collapses whitespace;
 * no JS library does ftfy, so we apply the parts that change clean text: NFC, straight quotes,
 * HTML entities, whitespace.
 */
export function cleanPrompt(text: string): string {
  let s = text.normalize("NFC");
  for (let i = 0; i < 2; i++) {
    s = s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === "#") {
        const code =
          e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : m;
      }
      return HTML_ENTITIES[e.toLowerCase()] ?? m;
    });
  }
  s = s
    .replace(/[\u2018\u2019\u201a\u201b\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u201f\u2033]/g, '"');
  return s.replace(/\s+/g, " ").trim();
}

function tokenContent(t: TokenizerConfig[keyof TokenizerConfig]): string | undefined {
  if (t === undefined || typeof t === "number") return undefined;
  return typeof t === "string" ? t : t.content;
}

function readJson<T>(path: string): Promise<T> {
  return readFile(path, "utf8").then((text) => JSON.parse(text) as T);
}

/** Loads `dir` (a model's tokenizer/ folder): tokenizer.json, or vocab.json + merges.txt. */
export async function loadTokenizer(
  dir: string,
  component = "tokenizer"
): Promise<PromptTokenizer> {
  if (!existsSync(dir)) throw new ModelError(`${component}: folder ${dir} is missing`);
  const configPath = join(dir, "tokenizer_config.json");
  const config: TokenizerConfig = existsSync(configPath) ? await readJson(configPath) : {};
  let json: any;
  if (existsSync(join(dir, "tokenizer.json"))) {
    json = await readJson(join(dir, "tokenizer.json"));
  } else if (existsSync(join(dir, "vocab.json")) && existsSync(join(dir, "merges.txt"))) {
    const vocab = await readJson<Record<string, number>>(join(dir, "vocab.json"));
    const merges = (await readFile(join(dir, "merges.txt"), "utf8"))
      .split("\n")
      .filter((line) => line && !line.startsWith("#version"));
    json = clipTokenizerJson(vocab, merges);
  } else {
    throw new ModelError(
      `${component}: ${dir} has neither tokenizer.json nor vocab.json + merges.txt`
    );
  }
  // The engine adds bos/eos itself, so any post-processor in the file is not used.
  json.post_processor = null;
  const tokenizer = new Tokenizer(json, {
    ...config,
    add_bos_token: false,
    add_eos_token: false,
  } as any);
  const vocab: Record<string, number> =
    json.model?.vocab && !Array.isArray(json.model.vocab) ? json.model.vocab : {};
  const idOf = (name: string, token: string | undefined, fallback?: number): number => {
    const id = token === undefined ? undefined : (vocab[token] ?? tokenizer.token_to_id?.(token));
    if (id !== undefined && id !== null) return id;
    if (fallback !== undefined) return fallback;
    throw new ModelError(`${component}: ${name} "${token ?? "(none)"}" is not in the vocabulary`);
  };
  const bos = idOf("bos_token", tokenContent(config.bos_token) ?? "<|startoftext|>");
  const eos = idOf("eos_token", tokenContent(config.eos_token) ?? "<|endoftext|>");
  const padId = idOf("pad_token", tokenContent(config.pad_token), eos);
  const maxLength =
    config.model_max_length && config.model_max_length < 100_000 ? config.model_max_length : 77;
  return {
    maxLength,
    padId,
    unknownWords: unknownWordsOf(json, tokenizer, cleanPrompt),
    encode(text: string): number[] {
      const body = tokenizer
        .encode(cleanPrompt(text), { add_special_tokens: false })
        .ids.slice(0, maxLength - 2);
      const ids = [bos, ...body, eos];
      while (ids.length < maxLength) ids.push(padId);
      return ids;
    },
  };
}
