"""CLIP BPE vocabulary and tokenizer files, built from CLIP's bpe_simple_vocab_16e6.txt.gz.

The vocabulary is built the way CLIP's simple_tokenizer builds it: the 256 byte symbols, the same
symbols with the end-of-word marker "</w>", one entry per merge, then the two special tokens.
That gives 49408 ids ("!" = 0, "<|startoftext|>" = 49406, "<|endoftext|>" = 49407), the same ids
as the vocab.json shipped with the Stable Diffusion text encoders.

This module writes the two forms a diffusers model folder may carry in `tokenizer/`:
vocab.json + merges.txt (the `transformers` CLIPTokenizer files) or tokenizer.json (the
`tokenizers` library format), each with tokenizer_config.json and special_tokens_map.json.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import unicodedata

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
VOCAB_SIZE = 49408
BOS_ID = 49406
EOS_ID = 49407
MAX_LENGTH = 77

# The pre-tokenizer pattern of CLIP (as written in the tokenizers format; \p{..} classes).
CLIP_PATTERN = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)


def bytes_to_unicode() -> dict[int, str]:
    """CLIP's / GPT-2's reversible map from the 256 byte values to printable characters."""
    bs = (
        list(range(ord("!"), ord("~") + 1))
        + list(range(ord("¡"), ord("¬") + 1))
        + list(range(ord("®"), ord("ÿ") + 1))
    )
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def load_merges(bpe_path: str) -> list[tuple[str, str]]:
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    lines = lines[1 : 49152 - 256 - 2 + 1]
    merges = [tuple(line.split()) for line in lines]
    assert all(len(m) == 2 for m in merges)
    return merges  # type: ignore[return-value]


def build_vocab(merges: list[tuple[str, str]]) -> list[str]:
    base = list(bytes_to_unicode().values())
    vocab = base + [v + "</w>" for v in base]
    vocab += ["".join(m) for m in merges]
    vocab += [BOS, EOS]
    assert len(vocab) == VOCAB_SIZE, len(vocab)
    assert len(set(vocab)) == VOCAB_SIZE
    return vocab


class ClipBpe:
    """Minimal CLIP BPE (for self-checks against the reference ids, not used at runtime).

    Python's `re` has no \\p{L}/\\p{N}; letters are approximated with [^\\W\\d_] and numbers with
    \\d, which is exact for the plain prompts the checks use.
    """

    _pat = re.compile(
        r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[^\W\d_]+|\d|[^\s\w]+|_+",
        re.IGNORECASE,
    )

    def __init__(self, vocab: list[str], merges: list[tuple[str, str]]):
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.ranks = {m: i for i, m in enumerate(merges)}
        self.byte_encoder = bytes_to_unicode()

    def _bpe(self, token: str) -> list[str]:
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = [(word[i], word[i + 1]) for i in range(len(word) - 1)]
            best = min(pairs, key=lambda p: self.ranks.get(p, float("inf")))
            if best not in self.ranks:
                break
            out, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            word = out
        return word

    def encode(self, text: str) -> list[int]:
        text = unicodedata.normalize("NFC", text)
        text = re.sub(r"\s+", " ", text).strip().lower()
        ids: list[int] = []
        for piece in self._pat.findall(text):
            token = "".join(self.byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self._bpe(token))
        return ids


def tokenizer_config(pad_token: str) -> dict:
    return {
        "add_prefix_space": False,
        "bos_token": BOS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOS,
        "errors": "replace",
        "model_max_length": MAX_LENGTH,
        "pad_token": pad_token,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOS,
    }


def special_tokens_map(pad_token: str) -> dict:
    return {"bos_token": BOS, "eos_token": EOS, "pad_token": pad_token, "unk_token": EOS}


def tokenizer_json(vocab: list[str], merges: list[tuple[str, str]]) -> dict:
    """The `tokenizers` library's tokenizer.json for CLIP (as shipped with clip-vit-large-patch14)."""
    added = [
        {"id": BOS_ID, "content": BOS, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": True, "special": True},
        {"id": EOS_ID, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True},
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {
            "type": "Sequence",
            "normalizers": [
                {"type": "NFC"},
                {"type": "Replace", "pattern": {"Regex": r"\s+"}, "content": " "},
                {"type": "Lowercase"},
            ],
        },
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": CLIP_PATTERN}, "behavior": "Removed",
                 "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                 "use_regex": False},
            ],
        },
        "post_processor": {
            "type": "RobertaProcessing",
            "sep": [EOS, EOS_ID],
            "cls": [BOS, BOS_ID],
            "trim_offsets": False,
            "add_prefix_space": False,
        },
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": EOS,
            "continuing_subword_prefix": "",
            "end_of_word_suffix": "</w>",
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": {tok: i for i, tok in enumerate(vocab)},
            "merges": [f"{a} {b}" for a, b in merges],
        },
    }


def _dump(obj: dict, path: str, compact: bool = False) -> None:
    with open(path, "w", encoding="utf-8") as f:
        if compact:
            json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        else:
            json.dump(obj, f, ensure_ascii=False, indent=2)
        f.write("\n")


def write_tokenizer(folder: str, vocab: list[str], merges: list[tuple[str, str]], *,
                    pad_token: str, vocab_merges: bool, tokenizer_json_file: bool) -> None:
    """Write a tokenizer folder: vocab.json + merges.txt and/or tokenizer.json, plus the configs."""
    os.makedirs(folder, exist_ok=True)
    if vocab_merges:
        _dump({tok: i for i, tok in enumerate(vocab)}, os.path.join(folder, "vocab.json"),
              compact=True)
        with open(os.path.join(folder, "merges.txt"), "w", encoding="utf-8") as f:
            f.write("#version: 0.2\n")
            f.writelines(f"{a} {b}\n" for a, b in merges)
    if tokenizer_json_file:
        _dump(tokenizer_json(vocab, merges), os.path.join(folder, "tokenizer.json"), compact=True)
    _dump(tokenizer_config(pad_token), os.path.join(folder, "tokenizer_config.json"))
    _dump(special_tokens_map(pad_token), os.path.join(folder, "special_tokens_map.json"))
