"""Captions for rendered scenes, and the word-level tokenizer they are read with.

A caption is a varied English sentence built from a scene's attribute vector: synonyms, random
word order, optional attributes, and the extra words people type ("photo of", "beautiful", "4k").

The tokenizer is a HuggingFace `tokenizers` WordLevel model (lowercase normaliser, Whitespace
pre-tokenizer `\\w+|[^\\w\\s]+`, unknown words -> <unk>). Ids are built as
[<bos>] + encode(text)[:MAX_LEN-2] + [<eos>], padded with <pad> to MAX_LEN, which is exactly
what the TypeScript engine does with tokenizer.json + tokenizer_config.json.
"""
import json
import re

import numpy as np

from render import ATTRS, TIMES, SKIES, TERRAINS, WATERS, SEASONS, WEATHERS

MAX_LEN = 32
PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

TIME_WORDS = {
    "dawn": ["dawn", "at dawn", "early dawn", "at first light", "daybreak", "at daybreak", "before sunrise"],
    "sunrise": ["sunrise", "at sunrise", "the rising sun", "as the sun rises", "early sunrise"],
    "morning": ["morning", "in the morning", "morning light", "a bright morning", "on a sunny morning"],
    "midday": ["midday", "at noon", "noon", "bright midday sun", "daytime", "in broad daylight", "high sun"],
    "golden hour": ["golden hour", "at golden hour", "in golden hour light", "warm evening light",
                    "late afternoon", "golden light"],
    "sunset": ["sunset", "at sunset", "the setting sun", "sundown", "at sundown", "evening sunset"],
    "dusk": ["dusk", "at dusk", "twilight", "blue hour", "at twilight", "after sunset"],
    "night": ["night", "at night", "under the moon", "moonlit night", "by moonlight", "at midnight",
              "night sky with stars"],
}
SKY_WORDS = {
    "clear": ["clear sky", "a cloudless sky", "clear skies", "under a clear sky"],
    "scattered clouds": ["scattered clouds", "a few clouds", "puffy clouds", "some clouds", "fluffy clouds"],
    "overcast": ["overcast", "an overcast sky", "grey sky", "gray sky", "cloudy sky", "cloudy"],
    "storm": ["storm", "stormy sky", "storm clouds", "dark thunderclouds", "a thunderstorm", "stormy"],
}
TERRAIN_WORDS = {
    "mountains": ["mountains", "a mountain range", "mountain peaks", "a mountain valley", "alpine peaks",
                  "mountain landscape"],
    "hills": ["hills", "rolling hills", "a hillside", "green hills", "low hills"],
    "dunes": ["sand dunes", "dunes", "desert dunes", "rolling dunes"],
    "plains": ["plains", "a flat plain", "fields", "a meadow", "the prairie", "open farmland", "grassland"],
    "coast": ["coast", "a coastline", "the shore", "a beach", "seaside", "coastal cliffs"],
    "forest": ["forest", "a pine forest", "woods", "pine-covered hills", "a forest of pines", "conifers"],
}
WATER_WORDS = {
    "lake": ["a lake", "a lake with reflections", "a calm lake", "a mirror lake", "reflections in a lake",
             "a pond", "still water", "a lake reflecting the sky"],
    "sea": ["the sea", "the ocean", "ocean waves", "the open sea", "waves"],
    "river": ["a river", "a winding river", "a stream", "a creek", "a river with reflections"],
    "none": [],
}
SEASON_WORDS = {
    "summer": ["summer", "in summer", "green", "lush green", "green grass", "summertime"],
    "autumn": ["autumn", "in autumn", "fall colors", "fall colours", "autumn leaves", "orange foliage", "fall"],
    "winter": ["winter", "in winter", "snow", "snowy", "covered in snow", "snow-covered"],
    "desert": ["desert", "sand", "arid", "dry desert", "sandy"],
}
WEATHER_WORDS = {
    "none": [],
    "fog": ["fog", "mist", "misty", "foggy", "haze", "hazy", "in the fog", "morning mist"],
    "rain": ["rain", "rainy", "in the rain", "drizzle", "pouring rain", "raining"],
    "snowfall": ["snowfall", "falling snow", "snowing", "snowflakes", "a snowstorm", "heavy snowfall"],
}
WORDS = [TIME_WORDS, SKY_WORDS, TERRAIN_WORDS, WATER_WORDS, SEASON_WORDS, WEATHER_WORDS]

PREFIXES = ["", "", "", "a photo of", "photo of", "a beautiful", "beautiful", "an image of",
            "a picture of", "landscape", "landscape photo of", "scenic view of", "a view of",
            "a wide shot of", "a peaceful", "an amazing", "stunning"]
SUFFIXES = ["", "", "", "4k", "8k", "hd", "landscape", "wallpaper", "highly detailed", ", 4k photo",
            "photography", "award winning photo", ", landscape photography", "hdr", "realistic",
            "high resolution", ", beautiful", "nature"]
JOIN_TIME = ["at", "during", "in", "", ","]
JOIN_WITH = ["with", "and", ",", "by", "near"]
EXTRA_VOCAB = ("the a an of with and in at on by near under over during during above below behind "
               "is are view scene landscape picture image photo photograph painting nature sky sun moon "
               "stars star cloud clouds water lake sea ocean river tree trees pine pines light dark bright "
               "warm cold blue red orange yellow purple pink gold golden white black grey gray green brown "
               "evening afternoon day time early late calm quiet serene peaceful dramatic epic wide shot "
               "very lots big small high low distant far away valley peak peaks snow ice reflection "
               "reflections mountain hill field grass beach island sunlight sunbeams rays glow haze "
               "mist fog rain storm lightning wind 1 2 3 4 5 6 7 8 9 0 10 4k 8k hd uhd hdr "
               "cinematic detailed realistic digital art style of no without").split()


def _pick(rng, xs):
    return xs[rng.integers(len(xs))]


def caption(attrs, rng):
    """One random caption for an attribute vector."""
    t, s, te, w, se, we = (int(a) for a in attrs)
    parts = []
    terrain = _pick(rng, TERRAIN_WORDS[TERRAINS[te]]) if rng.random() < 0.93 else "landscape"
    season = None
    if rng.random() < 0.7:
        season = _pick(rng, SEASON_WORDS[SEASONS[se]])
    if season is not None and rng.random() < 0.5 and " " not in season and season not in ("fall",):
        head = f"{season} {terrain}"
        season = None
    else:
        head = terrain
    mods = []
    if WATERS[w] != "none" and rng.random() < 0.92:
        mods.append(f"{_pick(rng, JOIN_WITH)} {_pick(rng, WATER_WORDS[WATERS[w]])}")
    if rng.random() < 0.95:
        tw = _pick(rng, TIME_WORDS[TIMES[t]])
        if tw.split()[0] in ("at", "in", "under", "by", "as", "on", "after", "before", "the", "a"):
            mods.append(tw)
        else:
            mods.append(f"{_pick(rng, JOIN_TIME)} {tw}".strip())
    if rng.random() < 0.7:
        mods.append(f"{_pick(rng, ['with', ',', 'under', ''])} {_pick(rng, SKY_WORDS[SKIES[s]])}".strip())
    if season is not None:
        mods.append(f"{_pick(rng, [',', 'in', ''])} {season}".strip())
    if WEATHERS[we] != "none" and rng.random() < 0.93:
        mods.append(f"{_pick(rng, [',', 'with', 'in', ''])} {_pick(rng, WEATHER_WORDS[WEATHERS[we]])}".strip())
    order = rng.permutation(len(mods))
    mods = [mods[i] for i in order]
    if rng.random() < 0.25 and mods:
        # lead with a modifier: "misty sunrise over a lake ..."
        first = mods.pop(0).lstrip(",").strip()
        parts = [first, _pick(rng, ["over", ",", "with", "in"]), head] + mods
    else:
        parts = [head] + mods
    text = " ".join(parts)
    pre = _pick(rng, PREFIXES)
    suf = _pick(rng, SUFFIXES)
    text = " ".join(x for x in [pre, text, suf] if x)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",\s*,", ",", text)
    text = text.strip(" ,")
    if rng.random() < 0.15:
        text = text.capitalize()
    return text


def attribute_prompt(attrs, rng=None):
    """A plain, complete prompt naming every attribute (used for evaluation)."""
    t, s, te, w, se, we = (int(a) for a in attrs)
    p = f"{TERRAIN_WORDS[TERRAINS[te]][0]}"
    if WATERS[w] != "none":
        p += f" with {WATER_WORDS[WATERS[w]][0]}"
    p += f" at {TIMES[t]}, {SKY_WORDS[SKIES[s]][0]}, {SEASON_WORDS[SEASONS[se]][0]}"
    if WEATHERS[we] != "none":
        p += f", {WEATHER_WORDS[WEATHERS[we]][0]}"
    return p


# ----------------------------------------------------------------------------------------------
# tokenizer

_SPECIAL = re.compile("(" + "|".join(re.escape(t) for t in (PAD, UNK, BOS, EOS)) + ")")
_PRE = re.compile(r"[A-Za-z0-9_]+|[^A-Za-z0-9_\s]+")


def pre_tokenize(text):
    return _PRE.findall(text.lower())


def build_vocab():
    words = set(EXTRA_VOCAB)
    for table in WORDS:
        for phrases in table.values():
            for p in phrases:
                words.update(pre_tokenize(p))
    for p in PREFIXES + SUFFIXES + JOIN_TIME + JOIN_WITH + ["over", ","]:
        words.update(pre_tokenize(p))
    for group in ATTRS:
        for name in group[1]:
            words.update(pre_tokenize(name))
    words.update([",", ".", "-", "!", "?", "'", ":", ";", "(", ")", "&"])
    vocab = [PAD, UNK, BOS, EOS] + sorted(words)
    return {w: i for i, w in enumerate(vocab)}


class Tokenizer:
    def __init__(self, vocab=None):
        self.vocab = vocab or build_vocab()
        self.pad, self.unk, self.bos, self.eos = (self.vocab[x] for x in (PAD, UNK, BOS, EOS))

    def encode(self, text):
        # special-token strings typed literally are matched before normalisation, as in `tokenizers`
        out = []
        for piece in _SPECIAL.split(text):
            if piece in (PAD, UNK, BOS, EOS):
                out.append(self.vocab[piece])
            elif piece:
                out.extend(self.vocab.get(w, self.unk) if len(w) <= 100 else self.unk
                           for w in pre_tokenize(piece))
        return out

    def __call__(self, text, max_len=MAX_LEN):
        ids = [self.bos] + self.encode(text)[: max_len - 2] + [self.eos]
        return ids + [self.pad] * (max_len - len(ids))

    def batch(self, texts, max_len=MAX_LEN):
        return np.array([self(t, max_len) for t in texts], dtype=np.int64)

    def tokenizer_json(self):
        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [
                {"id": self.vocab[t], "content": t, "single_word": False, "lstrip": False,
                 "rstrip": False, "normalized": False, "special": True} for t in (PAD, UNK, BOS, EOS)
            ],
            "normalizer": {"type": "Lowercase"},
            "pre_tokenizer": {"type": "Whitespace"},
            "post_processor": None,
            "decoder": None,
            # WordPiece without any "##" continuation pieces in the vocab is exactly word-level:
            # a word that is not in the vocab becomes <unk>.
            "model": {"type": "WordPiece", "vocab": self.vocab, "unk_token": UNK,
                      "continuing_subword_prefix": "##", "max_input_chars_per_word": 100},
        }

    def tokenizer_config(self):
        return {"model_max_length": MAX_LEN, "bos_token": BOS, "eos_token": EOS, "pad_token": PAD,
                "unk_token": UNK, "do_lower_case": True, "tokenizer_class": "PreTrainedTokenizerFast"}


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    from render import sample_attributes
    tok = Tokenizer()
    print("vocab", len(tok.vocab))
    for i in range(20):
        a = sample_attributes(rng)
        c = caption(a, rng)
        print(c, "|", [tok.encode(c).count(tok.unk)])
    print(json.dumps(attribute_prompt(a)))
