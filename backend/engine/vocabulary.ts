// Which words of a prompt a model cannot read, so that a generation can say so instead of silently
// painting something else.
//
// Only closed vocabularies have such words: a WordPiece or WordLevel tokenizer turns a word it does
// not hold into its unknown token, and the text encoder sees nothing of it. A WordPiece word that it
// can spell only as `##` continuation pieces counts as unknown too: a caption-trained encoder knows
// the words of its captions whole, and pieces of other words carry none of their meaning ("ramen" as
// "ram ##en"). Byte-level BPE (CLIP: SD 1.x, 2.x, XL) and Unigram spell any text from known pieces,
// so their models never report a word.
import type { Tokenizer } from "@huggingface/tokenizers";
import { DEFAULT_MODEL } from "./registry";

/**
 * Grammar that never changes what is painted: articles, pronouns, auxiliaries, conjunctions and the
 * most grammatical prepositions. Naming them would make every notice noisy. Written here rather than
 * taken from a search stop-word list (stopword, NLTK), because those also silence words a picture
 * shows or a composition needs ("well", "way", "over", "under", "through", "behind"), and negations,
 * which a model that cannot read them paints the opposite of; those are named.
 */
const FUNCTION_WORDS = new Set(
  (
    "a an the this that these those some any each every either neither both all such " +
    "i me my mine we us our ours you your yours he him his she her hers it its they them their theirs " +
    "is are was were be been being am do does did has have had having " +
    "will would shall should can could may might must " +
    "and or but so yet if then than as because while whether " +
    "what which who whom whose where when why how " +
    "of to for from by with at in on onto upon into about " +
    "there here also just only very too quite rather really"
  ).split(" ")
);

/** A word worth naming has two letters or more; numbers, punctuation and the s of "lake's" are not. */
const NAMEABLE = /\p{L}.*\p{L}/u;

export type UnknownWords = (text: string) => string[];

interface TokenizerFile {
  model?: { type?: string; unk_token?: string; continuing_subword_prefix?: string };
}

/**
 * The unknown-word check for one tokenizer: for a closed vocabulary, a function that lists the
 * prompt's words it cannot read (as the tokenizer normalises them: lower case for ours, each once,
 * in prompt order); for any other, one that lists none.
 */
export function unknownWordsOf(
  json: TokenizerFile,
  tokenizer: Tokenizer,
  clean: (text: string) => string
): UnknownWords {
  const type = json.model?.type;
  const unk = json.model?.unk_token;
  if ((type !== "WordPiece" && type !== "WordLevel") || !unk || !tokenizer.pre_tokenizer)
    return () => [];
  const prefix = type === "WordPiece" ? (json.model?.continuing_subword_prefix ?? "##") : undefined;
  const pre = tokenizer.pre_tokenizer;
  const normalize = (text: string) => (tokenizer.normalizer ? tokenizer.normalizer(text) : text);
  const known = new Map<string, boolean>();
  const isKnown = (word: string): boolean => {
    let result = known.get(word);
    if (result === undefined) {
      const pieces = tokenizer.tokenize(word);
      // A piece outside the vocabulary counts like the unknown token itself (the library passes
      // WordLevel words through unchanged).
      result =
        pieces.length > 0 &&
        pieces.every(
          (p) =>
            p !== unk && tokenizer.token_to_id(p) !== undefined && !(prefix && p.startsWith(prefix))
        );
      if (known.size < 10_000) known.set(word, result);
    }
    return result;
  };
  return (text) => {
    const words = pre(normalize(clean(text))) as string[];
    const unknown = words.filter((w) => NAMEABLE.test(w) && !FUNCTION_WORDS.has(w) && !isKnown(w));
    return [...new Set(unknown)];
  };
}

/** Words that none of a model's text encoders can read (SDXL has two; a word either one reads is known). */
export function unknownToAll(checks: UnknownWords[], text: string): string[] {
  const [first, ...rest] = checks.map((check) => check(text));
  return (first ?? []).filter((w) => rest.every((other) => other.includes(w)));
}

/** The sentence a generation carries when its prompt has words the model cannot read. */
export function unknownWordsNotice(
  model: { name: string; domain?: string; unknownWords(text: string): string[] },
  prompt: string
): { words: string[]; message: string } | undefined {
  const words = model.unknownWords(prompt);
  if (words.length === 0) return undefined;
  const subject =
    model.name === DEFAULT_MODEL ? "Lumen's built-in model" : `The model ${model.name}`;
  const list = words.join(", ");
  const message = model.domain
    ? `${subject} paints ${model.domain}; it doesn't know: ${list}.`
    : `${subject} doesn't know: ${list}.`;
  return { words, message };
}
