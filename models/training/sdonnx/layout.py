"""The files around the ONNX models in a folder as `optimum-cli export onnx` writes it for a
Stable Diffusion pipeline: model_index.json (the pipeline's config), scheduler/, tokenizer*/ and
each component's config.json beside its model.onnx."""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import clip_vocab  # noqa: E402

DIFFUSERS_VERSION = "0.30.0"
TRANSFORMERS_VERSION = "4.44.0"


def write_json(path: str, obj) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def _diffusers(config: dict) -> dict:
    return {"_class_name": config["_class_name"], "_diffusers_version": DIFFUSERS_VERSION,
            **{k: v for k, v in config.items() if k != "_class_name"}}


def model_index(family: dict) -> dict:
    index = {"_class_name": family["pipeline"], "_diffusers_version": DIFFUSERS_VERSION}
    encoders = family["text_encoders"]
    if family["pipeline"] == "StableDiffusionXLPipeline":
        index["force_zeros_for_empty_negative_prompt"] = True
    else:
        index.update(feature_extractor=[None, None], image_encoder=[None, None],
                     requires_safety_checker=False, safety_checker=[None, None])
    index["scheduler"] = ["diffusers", family["scheduler"]["_class_name"]]
    for k, enc in enumerate(encoders):
        suffix = "" if k == 0 else f"_{k + 1}"
        index[f"text_encoder{suffix}"] = ["transformers", enc["config"]["_class_name"]]
        index[f"tokenizer{suffix}"] = ["transformers", "CLIPTokenizer"]
    index["unet"] = ["diffusers", "UNet2DConditionModel"]
    index["vae"] = ["diffusers", "AutoencoderKL"]
    return dict(sorted(index.items(), key=lambda kv: (not kv[0].startswith("_"), kv[0])))


def text_encoder_config(enc: dict) -> dict:
    cfg = {k: v for k, v in enc["config"].items() if k != "_class_name"}
    return {"architectures": [enc["config"]["_class_name"]], "attention_dropout": 0.0,
            "bos_token_id": 0, "dropout": 0.0, "eos_token_id": 2, "initializer_factor": 1.0,
            "initializer_range": 0.02, "model_type": "clip_text_model", "pad_token_id": 1,
            "torch_dtype": "float32", "transformers_version": TRANSFORMERS_VERSION, **cfg}


def write_folder_files(folder: str, family: dict, clip_dir: str) -> None:
    write_json(os.path.join(folder, "model_index.json"), model_index(family))
    write_json(os.path.join(folder, "scheduler", "scheduler_config.json"),
               _diffusers(family["scheduler"]))
    merges = clip_vocab.load_merges(os.path.join(clip_dir, "bpe_simple_vocab_16e6.txt.gz"))
    vocab = clip_vocab.build_vocab(merges)
    for k, enc in enumerate(family["text_encoders"]):
        suffix = "" if k == 0 else f"_{k + 1}"
        pad = clip_vocab.EOS if enc["pad"] == "eos" else enc["pad"]
        clip_vocab.write_tokenizer(os.path.join(folder, f"tokenizer{suffix}"), vocab, merges,
                                   pad_token=pad, vocab_merges=True, tokenizer_json_file=False)
        write_json(os.path.join(folder, f"text_encoder{suffix}", "config.json"),
                   text_encoder_config(enc))
    write_json(os.path.join(folder, "unet", "config.json"), _diffusers(family["unet"]))
    write_json(os.path.join(folder, "vae_decoder", "config.json"), _diffusers(family["vae"]))


def write_tiny_decoder_config(folder: str, config: dict) -> None:
    write_json(os.path.join(folder, "taesd_decoder", "config.json"), _diffusers(config))
