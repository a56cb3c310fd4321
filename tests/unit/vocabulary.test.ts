// Which prompt words a model cannot read: on the shipped model's closed word-level vocabulary, on
// small WordPiece / WordLevel vocabularies for the rules, and on CLIP's BPE, which reads everything.
import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "@jest/globals";
import { EXAMPLE_PROMPTS } from "../../addin/shared/examples";
import { modelsDir } from "../../backend/engine";
import { loadTokenizer, type PromptTokenizer } from "../../backend/engine/tokenizer";
import { unknownToAll, unknownWordsNotice } from "../../backend/engine/vocabulary";
import { fixturesDir } from "../helpers/fixtures";

const OUT_OF_DOMAIN = "a bowl of ramen on a wooden table";

describe("unknown words on the built-in model's tokenizer", () => {
  let tokenizer: PromptTokenizer;
  beforeAll(async () => {
    tokenizer = await loadTokenizer(join(modelsDir(), "lumen-landscapes", "tokenizer"));
  });

  it("names the words of a food prompt, each once, in prompt order", () => {
    const words = tokenizer.unknownWords(OUT_OF_DOMAIN);
    for (const word of ["ramen", "bowl", "table"])
      assert.ok(words.includes(word), `${word} in ${words.join(", ")}`);
    assert.ok(!words.includes("a") && !words.includes("on"), "words it knows are not named");
    expect(tokenizer.unknownWords("a bowl of ramen, a bowl of ramen on the table")).toStrictEqual([
      "bowl",
      "ramen",
      "table",
    ]);
  });

  it("names none in a landscape prompt", () => {
    expect(tokenizer.unknownWords("a misty lake at sunrise")).toStrictEqual([]);
    expect(tokenizer.unknownWords("snowy mountains above a forest")).toStrictEqual([]);
  });

  it("reads case and punctuation as the tokenizer does", () => {
    expect(tokenizer.unknownWords("A BOWL of Ramen!!! on the Table, at Sunrise...")).toStrictEqual([
      "bowl",
      "ramen",
      "table",
    ]);
    expect(tokenizer.unknownWords("ramen-bowl;table(sunrise)")).toStrictEqual([
      "ramen",
      "bowl",
      "table",
    ]);
    // the s of a possessive is no word
    expect(tokenizer.unknownWords("the lake\u2019s ramen")).toStrictEqual(["ramen"]);
    expect(tokenizer.unknownWords("  \t\n ")).toStrictEqual([]);
  });

  it("leaves out grammar and numbers, which are not what a prompt asks to be painted", () => {
    expect(tokenizer.unknownWords("a sports car and its driver in the fog, 1982")).toStrictEqual([
      "sports",
      "car",
      "driver",
    ]);
  });

  it("holds every example prompt the task pane offers", () => {
    for (const { prompt } of EXAMPLE_PROMPTS)
      expect({ message: prompt, actual: tokenizer.unknownWords(prompt) }).toStrictEqual({
        message: prompt,
        actual: [],
      });
  });
});

describe("unknown words on CLIP's byte-level BPE", () => {
  // sd15 ships vocab.json + merges.txt, sd21 tokenizer.json: the 49408-token CLIP vocabulary.
  for (const name of ["sd15", "sd21"]) {
    it(`${name}: names none, whatever the prompt`, async () => {
      const tokenizer = await loadTokenizer(join(fixturesDir, name, "tokenizer"));
      expect(tokenizer.unknownWords(OUT_OF_DOMAIN)).toStrictEqual([]);
      expect(tokenizer.unknownWords("a red sports car at night, 東京, zxqv")).toStrictEqual([]);
    });
  }
});

describe("unknown words on small closed vocabularies", () => {
  const dir = mkdtempSync(join(tmpdir(), "lumen-vocabulary-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function tokenizerWith(model: object): Promise<PromptTokenizer> {
    const folder = mkdtempSync(join(dir, "tokenizer-"));
    const special = ["<pad>", "<unk>", "<bos>", "<eos>"].map((content, id) => ({
      id,
      content,
      special: true,
      normalized: false,
    }));
    writeFileSync(
      join(folder, "tokenizer.json"),
      JSON.stringify({
        version: "1.0",
        added_tokens: special,
        normalizer: { type: "Lowercase" },
        pre_tokenizer: { type: "Whitespace" },
        post_processor: null,
        decoder: null,
        model,
      })
    );
    writeFileSync(
      join(folder, "tokenizer_config.json"),
      JSON.stringify({
        model_max_length: 16,
        bos_token: "<bos>",
        eos_token: "<eos>",
        pad_token: "<pad>",
      })
    );
    return loadTokenizer(folder);
  }
  const vocab = Object.fromEntries(
    ["<pad>", "<unk>", "<bos>", "<eos>", "lake", "snow", "ram", "##en", "##s"].map((t, i) => [t, i])
  );

  it("WordPiece: a word spelled only from ## pieces is unknown, as is one that becomes [UNK]", async () => {
    const tokenizer = await tokenizerWith({
      type: "WordPiece",
      unk_token: "<unk>",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    });
    // the vocabulary splits it
    expect(tokenizer.encode("ramen").slice(1, 3)).toStrictEqual([vocab.ram, vocab["##en"]]);
    expect(tokenizer.unknownWords("Ramen and lakes by the snow")).toStrictEqual(["ramen", "lakes"]);
    expect(tokenizer.unknownWords("snow, lake")).toStrictEqual([]);
  });

  it("WordPiece: a negation it cannot read is named, since the picture would show the opposite", async () => {
    const tokenizer = await tokenizerWith({
      type: "WordPiece",
      unk_token: "<unk>",
      continuing_subword_prefix: "##",
      max_input_chars_per_word: 100,
      vocab,
    });
    expect(tokenizer.unknownWords("a lake, never snow, not at night")).toStrictEqual([
      "never",
      "not",
      "night",
    ]);
  });

  it("WordLevel: words outside the vocabulary are unknown", async () => {
    const tokenizer = await tokenizerWith({ type: "WordLevel", unk_token: "<unk>", vocab });
    expect(tokenizer.unknownWords("snow on a lake with a bowl")).toStrictEqual(["bowl"]);
  });

  it("a model reads a word that any of its text encoders reads", () => {
    const first = (text: string) => text.split(" ").filter((w) => w !== "lake");
    const second = (text: string) => text.split(" ").filter((w) => w !== "ramen");
    expect(unknownToAll([first, second], "ramen lake bowl")).toStrictEqual(["bowl"]);
    expect(unknownToAll([first], "ramen lake bowl")).toStrictEqual(["ramen", "bowl"]);
  });
});

describe("unknown-words notice", () => {
  const words = (list: string[]) => () => list;

  it("names the built-in model and what it paints", () => {
    const notice = unknownWordsNotice(
      {
        name: "lumen-landscapes",
        domain: "landscapes and light",
        unknownWords: words(["ramen", "bowl", "table"]),
      },
      OUT_OF_DOMAIN
    );
    expect(notice).toStrictEqual({
      words: ["ramen", "bowl", "table"],
      message:
        "Lumen's built-in model paints landscapes and light; it doesn't know: ramen, bowl, table.",
    });
  });

  it("names another model by its name, with or without a domain, and says nothing when every word is known", () => {
    assert.equal(
      unknownWordsNotice(
        { name: "anime-small", domain: "anime characters", unknownWords: words(["lake"]) },
        "a lake"
      )?.message,
      "The model anime-small paints anime characters; it doesn't know: lake."
    );
    assert.equal(
      unknownWordsNotice({ name: "tiny", unknownWords: words(["lake", "sun"]) }, "lake sun")
        ?.message,
      "The model tiny doesn't know: lake, sun."
    );
    assert.equal(unknownWordsNotice({ name: "tiny", unknownWords: words([]) }, "lake"), undefined);
  });
});
