// Which prompt words a model cannot read: on the shipped model's closed word-level vocabulary, on
// small WordPiece / WordLevel vocabularies for the rules, and on CLIP's BPE, which reads everything.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EXAMPLE_PROMPTS } from "../../addin/shared/examples";
import { modelsDir } from "../../backend/engine";
import { loadTokenizer, type PromptTokenizer } from "../../backend/engine/tokenizer";
import { unknownToAll, unknownWordsNotice } from "../../backend/engine/vocabulary";
import { fixturesDir } from "../helpers/fixtures";

const OUT_OF_DOMAIN = "a bowl of ramen on a wooden table";

describe("unknown words on the built-in model's tokenizer", () => {
  let tokenizer: PromptTokenizer;
  before(async () => {
    tokenizer = await loadTokenizer(join(modelsDir(), "lumen-landscapes", "tokenizer"));
  });

  it("names the words of a food prompt, each once, in prompt order", () => {
    const words = tokenizer.unknownWords(OUT_OF_DOMAIN);
    for (const word of ["ramen", "bowl", "table"]) assert.ok(words.includes(word), `${word} in ${words.join(", ")}`);
    assert.ok(!words.includes("a") && !words.includes("on"), "words it knows are not named");
    assert.deepEqual(tokenizer.unknownWords("a bowl of ramen, a bowl of ramen on the table"), ["bowl", "ramen", "table"]);
  });

  it("names none in a landscape prompt", () => {
    assert.deepEqual(tokenizer.unknownWords("a misty lake at sunrise"), []);
    assert.deepEqual(tokenizer.unknownWords("snowy mountains above a forest"), []);
  });

  it("reads case and punctuation as the tokenizer does", () => {
    assert.deepEqual(tokenizer.unknownWords("A BOWL of Ramen!!! on the Table, at Sunrise..."), ["bowl", "ramen", "table"]);
    assert.deepEqual(tokenizer.unknownWords("ramen-bowl;table(sunrise)"), ["ramen", "bowl", "table"]);
    assert.deepEqual(tokenizer.unknownWords("the lake\u2019s ramen"), ["ramen"], "the s of a possessive is no word");
    assert.deepEqual(tokenizer.unknownWords("  \t\n "), []);
  });

  it("leaves out grammar and numbers, which are not what a prompt asks to be painted", () => {
    assert.deepEqual(tokenizer.unknownWords("a sports car and its driver in the fog, 1982"), ["sports", "car", "driver"]);
  });

  it("holds every example prompt the task pane offers", () => {
    for (const { prompt } of EXAMPLE_PROMPTS) assert.deepEqual(tokenizer.unknownWords(prompt), [], prompt);
  });
});

describe("unknown words on CLIP's byte-level BPE", () => {
  // sd15 ships vocab.json + merges.txt, sd21 tokenizer.json: the 49408-token CLIP vocabulary.
  for (const name of ["sd15", "sd21"]) {
    it(`${name}: names none, whatever the prompt`, async () => {
      const tokenizer = await loadTokenizer(join(fixturesDir, name, "tokenizer"));
      assert.deepEqual(tokenizer.unknownWords(OUT_OF_DOMAIN), []);
      assert.deepEqual(tokenizer.unknownWords("a red sports car at night, 東京, zxqv"), []);
    });
  }
});

describe("unknown words on small closed vocabularies", () => {
  const dir = mkdtempSync(join(tmpdir(), "lumen-vocabulary-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function tokenizerWith(model: object): Promise<PromptTokenizer> {
    const folder = mkdtempSync(join(dir, "tokenizer-"));
    const special = ["<pad>", "<unk>", "<bos>", "<eos>"].map((content, id) => ({ id, content, special: true, normalized: false }));
    writeFileSync(
      join(folder, "tokenizer.json"),
      JSON.stringify({ version: "1.0", added_tokens: special, normalizer: { type: "Lowercase" }, pre_tokenizer: { type: "Whitespace" }, post_processor: null, decoder: null, model }),
    );
    writeFileSync(join(folder, "tokenizer_config.json"), JSON.stringify({ model_max_length: 16, bos_token: "<bos>", eos_token: "<eos>", pad_token: "<pad>" }));
    return loadTokenizer(folder);
  }
  const vocab = Object.fromEntries(["<pad>", "<unk>", "<bos>", "<eos>", "lake", "snow", "ram", "##en", "##s"].map((t, i) => [t, i]));

  it("WordPiece: a word spelled only from ## pieces is unknown, as is one that becomes [UNK]", async () => {
    const tokenizer = await tokenizerWith({ type: "WordPiece", unk_token: "<unk>", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab });
    assert.deepEqual(tokenizer.encode("ramen").slice(1, 3), [vocab.ram, vocab["##en"]], "the vocabulary splits it");
    assert.deepEqual(tokenizer.unknownWords("Ramen and lakes by the snow"), ["ramen", "lakes"]);
    assert.deepEqual(tokenizer.unknownWords("snow, lake"), []);
  });

  it("WordPiece: a negation it cannot read is named, since the picture would show the opposite", async () => {
    const tokenizer = await tokenizerWith({ type: "WordPiece", unk_token: "<unk>", continuing_subword_prefix: "##", max_input_chars_per_word: 100, vocab });
    assert.deepEqual(tokenizer.unknownWords("a lake, never snow, not at night"), ["never", "not", "night"]);
  });

  it("WordLevel: words outside the vocabulary are unknown", async () => {
    const tokenizer = await tokenizerWith({ type: "WordLevel", unk_token: "<unk>", vocab });
    assert.deepEqual(tokenizer.unknownWords("snow on a lake with a bowl"), ["bowl"]);
  });

  it("a model reads a word that any of its text encoders reads", () => {
    const first = (text: string) => text.split(" ").filter((w) => w !== "lake");
    const second = (text: string) => text.split(" ").filter((w) => w !== "ramen");
    assert.deepEqual(unknownToAll([first, second], "ramen lake bowl"), ["bowl"]);
    assert.deepEqual(unknownToAll([first], "ramen lake bowl"), ["ramen", "bowl"]);
  });
});

describe("unknown-words notice", () => {
  const words = (list: string[]) => () => list;

  it("names the built-in model and what it paints", () => {
    const notice = unknownWordsNotice({ name: "lumen-landscapes", domain: "landscapes and light", unknownWords: words(["ramen", "bowl", "table"]) }, OUT_OF_DOMAIN);
    assert.deepEqual(notice, {
      words: ["ramen", "bowl", "table"],
      message: "Lumen's built-in model paints landscapes and light; it doesn't know: ramen, bowl, table.",
    });
  });

  it("names another model by its name, with or without a domain, and says nothing when every word is known", () => {
    assert.equal(
      unknownWordsNotice({ name: "anime-small", domain: "anime characters", unknownWords: words(["lake"]) }, "a lake")?.message,
      "The model anime-small paints anime characters; it doesn't know: lake.",
    );
    assert.equal(unknownWordsNotice({ name: "tiny", unknownWords: words(["lake", "sun"]) }, "lake sun")?.message, "The model tiny doesn't know: lake, sun.");
    assert.equal(unknownWordsNotice({ name: "tiny", unknownWords: words([]) }, "lake"), undefined);
  });
});
