#!/usr/bin/python3
"""Build the external-data copy of the sd15 fixture's UNet that the Hub stand-in serves.

    /usr/bin/python3 models/training/make_hub_fixture.py

Real exports larger than protobuf's 2 GB limit keep their weights beside the graph
(`unet/model.onnx` + `unet/model.onnx_data`, as `optimum-cli export onnx` writes them). The
fixtures are tiny, so this rewrites tests/fixtures/sd15/unet/model.onnx the same way, with the
same weights, into tests/fixtures/hub/sd15-onnx-data/unet/. Run it again after make_fixtures.py.
"""

from __future__ import annotations

import os

import onnx

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SOURCE = os.path.join(ROOT, "tests", "fixtures", "sd15", "unet", "model.onnx")
OUT = os.path.join(ROOT, "tests", "fixtures", "hub", "sd15-onnx-data", "unet")


def main() -> None:
    model = onnx.load(SOURCE)
    os.makedirs(OUT, exist_ok=True)
    for name in ("model.onnx", "model.onnx_data"):
        path = os.path.join(OUT, name)
        if os.path.exists(path):
            os.remove(path)
    # Tensors of 1 KB and more go to the data file, as optimum's exports put every weight there.
    onnx.save_model(
        model,
        os.path.join(OUT, "model.onnx"),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location="model.onnx_data",
        size_threshold=1024,
    )
    onnx.checker.check_model(os.path.join(OUT, "model.onnx"))
    for name in ("model.onnx", "model.onnx_data"):
        print(f"{os.path.relpath(os.path.join(OUT, name), ROOT)}: {os.path.getsize(os.path.join(OUT, name))} bytes")


if __name__ == "__main__":
    main()
