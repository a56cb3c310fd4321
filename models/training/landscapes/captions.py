"""Captions for rendered scenes, and the word-level tokenizer they are read with.

A caption is a varied English sentence built from a scene's attribute vector: synonyms, random
word order, optional attributes, and the extra words people type ("photo of", "beautiful", "4k").
Half the captions are tag-like lists; the other half are sentences from templates that say how
things sit together ("a lake between hills", "golden hour over a mountain lake with reflections",
"misty pine forest at dawn"), so free-form prompts read like training captions. A vector from
render3d.py has a 7th entry, the composition (VIEWS), which captions name when present.

The tokenizer is a HuggingFace `tokenizers` WordLevel model (lowercase normaliser, Whitespace
pre-tokenizer `\\w+|[^\\w\\s]+`, unknown words -> <unk>). Ids are built as
[<bos>] + encode(text)[:MAX_LEN-2] + [<eos>], padded with <pad> to MAX_LEN, which is exactly
what the TypeScript engine does with tokenizer.json + tokenizer_config.json.
"""
import json
import re

import numpy as np

from render import ATTRS, TIMES, SKIES, TERRAINS, WATERS, SEASONS, WEATHERS

VIEWS = ["wide view", "from a high viewpoint", "low viewpoint", "close to the shore"]  # render3d.VIEWS

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


# ----------------------------------------------------------------------------------------------
# sentence captions: phrases that place things relative to each other, and templates

VIEW_WORDS = {
    "wide view": ["wide view", "a wide view", "wide angle", "panorama", "a panoramic view", "wide shot",
                  "a wide landscape view", "vista"],
    "from a high viewpoint": ["from a high viewpoint", "aerial view", "from above", "seen from a hilltop",
                              "drone photo", "from the top of a hill", "a view from above", "overlooking the valley"],
    "low viewpoint": ["low viewpoint", "from the ground", "at eye level", "low angle", "a low angle view"],
    "close to the shore": ["close to the shore", "from the shore", "at the water's edge", "from the shoreline",
                           "standing on the shore", "by the water"],
}
# the head noun of a terrain as an adjective or a place ("a mountain lake", "between hills")
TERRAIN_ADJ = {"mountains": ["mountain", "alpine"], "hills": ["hillside", "hill"], "dunes": ["desert"],
               "plains": ["meadow", "prairie"], "coast": ["coastal", "seaside"], "forest": ["forest", "woodland"]}
TERRAIN_PLACE = {  # "{water} between hills", "{water} in the mountains"
    "mountains": ["between mountains", "in the mountains", "surrounded by mountains", "below snowy peaks",
                  "in a mountain valley", "beneath the peaks"],
    "hills": ["between hills", "among rolling hills", "between green hills", "in the hills", "in a valley"],
    "dunes": ["among the dunes", "between sand dunes", "in the desert"],
    "plains": ["across the plain", "through open fields", "in a wide meadow", "across the grassland"],
    "coast": ["along the coast", "along a rocky coast", "by the beach", "along the coastline"],
    "forest": ["in the forest", "through the woods", "surrounded by pine trees", "between pine forests",
               "through a pine forest"],
}
WATER_NOUN = {"lake": ["a lake", "a calm lake", "a still lake", "a small lake", "the lake"],
              "river": ["a river", "a winding river", "a stream", "the river"],
              "sea": ["the sea", "the ocean", "waves", "the open sea"]}
RIVER_VERB = ["winding through", "flowing through", "running through", "meandering through"]
REFLECT = ["with reflections", "reflected in the water", "with reflections in the water", "mirrored in the water",
           "and its reflection", "reflecting the sky"]
TIME_LEAD = {  # a time of day that can lead a sentence: "golden hour over ..."
    "dawn": ["dawn", "first light", "daybreak"], "sunrise": ["sunrise", "the rising sun"],
    "morning": ["morning", "morning light", "early morning"], "midday": ["midday", "noon", "bright midday sun"],
    "golden hour": ["golden hour", "golden light", "warm evening light"],
    "sunset": ["sunset", "the setting sun", "sundown"], "dusk": ["dusk", "twilight", "blue hour"],
    "night": ["night", "moonlight", "a moonlit night"],
}
SKY_BY_LIGHT = {  # clear skies are only blue by day, starry by night
    ("clear", "day"): ["under a clear blue sky", "under a blue sky", "with a clear blue sky", "a cloudless blue sky"],
    ("clear", "low"): ["under a clear sky", "a cloudless sky", "clear skies"],
    ("clear", "night"): ["under the stars", "a starry sky", "a clear night sky", "stars in the sky", "the moon and stars"],
    ("scattered clouds", "day"): ["with a few white clouds", "puffy clouds", "some clouds in a blue sky"],
    ("scattered clouds", "low"): ["with glowing clouds", "a few clouds", "clouds lit by the sun"],
    ("scattered clouds", "night"): ["a few clouds and stars", "clouds and the moon"],
}
VIEW_NOUN = {"wide view": ["a wide view", "a panoramic view", "a panorama", "a wide angle photo"],
             "from a high viewpoint": ["an aerial view", "a view from above", "a drone photo", "a high view"],
             "low viewpoint": ["a low angle view", "a view at eye level", "a low view"],
             "close to the shore": ["a view from the shore", "a photo from the water's edge"]}
PREPS = ("at", "in", "under", "by", "as", "on", "after", "before", "during", "the", "a")
SEASON_ADJ = {"summer": ["green", "lush", "summer"], "autumn": ["autumn", "autumnal", "golden autumn"],
              "winter": ["snowy", "snow-covered", "wintry", "frozen"], "desert": ["arid", "dry", "sandy"]}
WEATHER_ADJ = {"fog": ["misty", "foggy", "hazy"], "rain": ["rainy", "wet"], "snowfall": ["snowy"]}
WEATHER_TAIL = {"fog": ["in the fog", "with mist", "in thick fog"],
                "rain": ["in the rain", "with rain falling", "on a rainy day"],
                "snowfall": ["with falling snow", "while snow falls", "in a snowstorm"]}
VALLEY_MIST = ["mist in the valleys", "fog in the valleys", "with fog filling the valleys", "a valley filled with fog",
               "low clouds in the valleys"]
TEMPLATES = [  # {lead} leads with time or weather; {place} a water-and-terrain phrase
    "{time_lead} over {place}",
    "{place} {time}",
    "{adj} {terrain} {time}",
    "{time_lead} over {terrain}",
    "{view_noun} of {place} {time}",
    "{place} {time} {sky}",
    "{terrain} {time} , {view}",
    "{adj} {place} {time} {sky}",
]


def light_kind(time):
    return "night" if time == "night" else ("low" if time in ("dawn", "sunrise", "golden hour", "sunset", "dusk")
                                            else "day")


def _place(rng, terrain, water, season):
    """'a lake between hills', 'a mountain lake', 'a river winding through the forest', 'hills'."""
    tw = TERRAIN_WORDS[terrain]
    if water == "none":
        return _pick(rng, tw)
    noun = _pick(rng, WATER_NOUN[water])
    r = rng.random()
    if water == "river" and r < 0.35:
        return f"{noun} {_pick(rng, RIVER_VERB)} {_pick(rng, ['the', ''])} {_pick(rng, tw)}".replace("  ", " ")
    if water == "lake" and r < 0.35:
        return f"a {_pick(rng, TERRAIN_ADJ[terrain])} lake"
    if water == "sea" and r < 0.35:
        return f"{_pick(rng, ['waves on', 'the sea by', 'the ocean along'])} {_pick(rng, ['a beach', 'the shore', 'a rocky coast', 'the coastline'])}"
    if r < 0.7:
        return f"{noun} {_pick(rng, TERRAIN_PLACE[terrain])}"
    return f"{_pick(rng, tw)} {_pick(rng, ['with', 'and', 'by', 'above', 'around'])} {noun}"


def sentence_caption(attrs, rng):
    """A sentence from a template: how the parts of the scene sit together."""
    t, s, te, w, se, we = (TIMES[attrs[0]], SKIES[attrs[1]], TERRAINS[attrs[2]], WATERS[attrs[3]],
                           SEASONS[attrs[4]], WEATHERS[attrs[5]])
    view = VIEWS[int(attrs[6])] if len(attrs) > 6 else None
    place = _place(rng, te, w, se)
    adjs = []
    if we != "none" and rng.random() < 0.6:
        adjs.append(_pick(rng, WEATHER_ADJ[we]))
    if rng.random() < 0.5:
        adjs.append(_pick(rng, SEASON_ADJ[se]))
    adj = " ".join(dict.fromkeys(adjs)) or _pick(rng, SEASON_ADJ[se])
    terrain = _pick(rng, TERRAIN_WORDS[te])
    if te == "forest" and rng.random() < 0.4:
        terrain = _pick(rng, ["pine forest", "forest", "woods", "pines"])
    sky_opts = SKY_BY_LIGHT.get((s, light_kind(t)), SKY_WORDS[s])
    times = [x for x in TIME_WORDS[t] if x.split()[0] in PREPS and x.split()[0] not in ("the", "a")]
    if place.split()[0] in ("a", "an", "the") and rng.random() < 0.5:
        art, rest = place.split(" ", 1)
        place, adj_used = f"{art} {adj} {rest}", True
    slots = {"time_lead": _pick(rng, TIME_LEAD[t]), "time": _pick(rng, times or [f"at {t}"]),
             "place": place, "terrain": terrain, "adj": adj, "sky": _pick(rng, sky_opts),
             "view": _pick(rng, VIEW_WORDS[view]) if view else _pick(rng, ["a view", "a photo", "a picture"]),
             "view_noun": _pick(rng, VIEW_NOUN[view]) if view else _pick(rng, ["a view", "a photo", "a picture"])}
    template = _pick(rng, TEMPLATES)
    if "{adj}" in template and place.split()[0] in ("a", "an", "the"):
        template = template.replace("{adj} ", "")
    text = template.format(**slots)
    tails = []
    if w in ("lake", "river") and rng.random() < 0.4:
        tails.append(_pick(rng, REFLECT))
    if we != "none" and not any(a in text for a in WEATHER_ADJ[we]) and rng.random() < 0.9:
        if we == "fog" and te in ("mountains", "hills", "forest") and rng.random() < 0.5:
            tails.append(_pick(rng, VALLEY_MIST))
        else:
            tails.append(_pick(rng, WEATHER_TAIL[we]))
    if "{sky}" not in template and rng.random() < 0.5:
        tails.append(_pick(rng, sky_opts))
    if se not in ("summer",) and not any(a in text for a in SEASON_ADJ[se]) and rng.random() < 0.7:
        tails.append(_pick(rng, SEASON_WORDS[se]))
    if view and "{view" not in template and rng.random() < 0.5:
        tails.append(_pick(rng, VIEW_WORDS[view]))
    for tail in tails:
        text += _pick(rng, [", ", ", ", " "]) + tail
    if rng.random() < 0.3 and not text.startswith(("a ", "an ")):
        text = _prefixed(_pick(rng, PREFIXES), text)
    if rng.random() < 0.25:
        text = f"{text} {_pick(rng, SUFFIXES)}"
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",\s*,", ",", text).strip(" ,")
    text = re.sub(r"\ba ([aeiou])", r"an \1", text)
    return text[0].upper() + text[1:] if rng.random() < 0.2 else text



def _pick(rng, xs):
    return xs[rng.integers(len(xs))]


# Prefixes that are an adjective, not a frame ("a photo of"): they go inside the head's own article
# ("a beautiful forest of pines", "beautiful rolling hills"), never before it ("a beautiful a forest").
ADJECTIVE_PREFIXES = ("a beautiful", "beautiful", "a peaceful", "an amazing", "stunning")
NOT_LEADING = set(PREPS) | {"with", "and", "near", "reflecting"}


def _with_adjective(adj, text):
    """'a forest' -> 'a beautiful forest'; 'hills' -> 'beautiful hills'."""
    art, _, rest = text.partition(" ")
    if art in ("a", "an", "the") and rest:
        return f"{'the' if art == 'the' else ('an' if adj[0] in 'aeiou' else 'a')} {adj} {rest}"
    return f"{adj} {text}"


def _prefixed(pre, text):
    if pre in ADJECTIVE_PREFIXES:
        return _with_adjective(pre.split()[-1], text)
    return f"{pre} {text}" if pre else text


def training_caption(attrs, rng):
    """The caption a training step sees: with render3d's seven attributes, half are sentences that
    say how the parts sit together ("golden hour over a mountain lake with reflections"), half lists
    of attribute phrases; render.py's six-attribute scenes (v1's recipe) keep the lists alone."""
    if len(attrs) > 6 and rng.random() < 0.5:
        return sentence_caption(attrs, rng)
    return caption(attrs, rng)


def caption(attrs, rng):
    """One random caption for an attribute vector."""
    t, s, te, w, se, we = (int(a) for a in attrs[:6])
    parts = []
    terrain = _pick(rng, TERRAIN_WORDS[TERRAINS[te]]) if rng.random() < 0.93 else "landscape"
    season = None
    if rng.random() < 0.7:
        season = _pick(rng, SEASON_WORDS[SEASONS[se]])
    if season is not None and rng.random() < 0.5 and " " not in season and season not in ("fall",):
        head = _with_adjective(season, terrain)
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
    if len(attrs) > 6 and rng.random() < 0.5:
        mods.append(f", {_pick(rng, VIEW_WORDS[VIEWS[int(attrs[6])]])}")
    order = rng.permutation(len(mods))
    mods = [mods[i] for i in order]
    # lead with a modifier that can open a phrase: "misty sunrise over a lake ...", not "in summer over ..."
    led = bool(mods) and rng.random() < 0.25 and mods[0].lstrip(", ").split()[0] not in NOT_LEADING
    if led:
        first = mods.pop(0).lstrip(",").strip()
        parts = [first, _pick(rng, ["over", ",", "with", "in"]), head] + mods
    else:
        parts = [head] + mods
    text = " ".join(parts)
    pre = _pick(rng, PREFIXES)
    text = _prefixed("" if led and pre in ADJECTIVE_PREFIXES else pre, text)
    suf = _pick(rng, SUFFIXES)
    text = " ".join(x for x in [text, suf] if x)
    text = re.sub(r"\s+,", ",", text)
    text = re.sub(r",\s*,", ",", text)
    text = text.strip(" ,")
    if rng.random() < 0.15:
        text = text.capitalize()
    return text


def attribute_prompt(attrs, rng=None):
    """A plain, complete prompt naming every attribute (used for evaluation)."""
    t, s, te, w, se, we = (int(a) for a in attrs[:6])
    p = f"{TERRAIN_WORDS[TERRAINS[te]][0]}"
    if WATERS[w] != "none":
        p += f" with {WATER_WORDS[WATERS[w]][0]}"
    p += f" at {TIMES[t]}, {SKY_WORDS[SKIES[s]][0]}, {SEASON_WORDS[SEASONS[se]][0]}"
    if WEATHERS[we] != "none":
        p += f", {WEATHER_WORDS[WEATHERS[we]][0]}"
    if len(attrs) > 6:
        p += f", {VIEWS[int(attrs[6])]}"
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
    for p in PREFIXES + SUFFIXES + JOIN_TIME + JOIN_WITH + ["over", ","] + RIVER_VERB + REFLECT + VALLEY_MIST:
        words.update(pre_tokenize(p))
    for table in (VIEW_WORDS, VIEW_NOUN, TERRAIN_ADJ, TERRAIN_PLACE, WATER_NOUN, TIME_LEAD, SKY_BY_LIGHT, SEASON_ADJ,
                  WEATHER_ADJ, WEATHER_TAIL):
        for phrases in table.values():
            for p in phrases:
                words.update(pre_tokenize(p))
    for p in TEMPLATES + ["waves on", "the sea by", "the ocean along", "a beach", "the shore", "a rocky coast",
                          "the coastline", "pine forest", "pines", "a view", "a photo", "a picture", "around"]:
        words.update(pre_tokenize(re.sub(r"\{\w+\}", " ", p)))
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
