#!/usr/bin/env bash
# The final training run on a GPU host in one call: render, VAE, latents, UNet and ONNX export inside
# a wall-clock deadline; the exported model comes back as a tar split into 15 MB pieces (hosts that
# hand back only a few small files), with the training log, the sample grid and the first prompt in
# every trained frame (frames.png).
#
#   OUT=/path/for/results models/training/landscapes/gpu_host.sh             # on the GPU host
#   mkdir /tmp/gpu && cat $OUT/model.tar.part-* | tar -x -C /tmp/gpu         # back here
#
# Settings (environment): DEADLINE_MIN=9 for the whole script; RENDER_COUNT=20000 scenes on every
# core; VAE_MIN=1.5 at VAE_BATCH=32; the UNet at UNET_BATCH=256 for what the deadline leaves after
# the renders and the VAE (UNET_MIN to fix it). The evaluation (CPU-bound: it trains a classifier on
# fresh renders) is left for the machine the pieces come back to (models/training/README.md,
# "On a GPU host"). Rehearse on the CPU with tiny settings first:
#   OUT=/tmp/gh PYTHON=/usr/bin/python3 DEVICE=cpu RENDER_COUNT=300 VAE_MIN=0.3 UNET_MIN=0.5 models/training/landscapes/gpu_host.sh
set -euo pipefail
: "${OUT:?set OUT to the folder for the results}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=${WORK:-/tmp/lumen}  # data and checkpoints stay on the host's disk
runs=$work/runs model=$work/lumen-landscapes
py=${PYTHON:-python3}  # the host's Python with PyTorch (here: PYTHON=/usr/bin/python3)
vae_min=${VAE_MIN:-1.5}
export PYTHONUNBUFFERED=1
mkdir -p "$OUT" "$runs"
trap 'cp "$runs/train.log" "$OUT/" 2>/dev/null || true' EXIT  # the log comes back even from a failed run
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
      torch.cuda.get_device_name(0) if torch.cuda.is_available() else '')" | tee "$OUT/host.txt"
echo "cores $(nproc)" >> "$OUT/host.txt"
start=$(date +%s)
train() {
  "$py" "$here/train.py" --device "${DEVICE:-auto}" --threads "$(nproc)" --runs "$runs" --out "$model" \
      --count "${RENDER_COUNT:-20000}" --vae-minutes "$vae_min" --vae-batch "${VAE_BATCH:-32}" \
      --unet-batch "${UNET_BATCH:-256}" "$@" 2>&1 | tail -n 25
}
train --stage data
# the UNet gets what is left: the deadline less the renders, the VAE and ~1.5 min for the latents,
# export and samples (each stage's budget is wall clock, so it ends on time whatever the GPU)
unet_min=${UNET_MIN:-$("$py" -c "print(round(max(1.0, ${DEADLINE_MIN:-9} - ($(date +%s) - $start) / 60 - $vae_min - 1.5), 2))")}
echo "renders $(( $(date +%s) - start )) s; UNet $unet_min min" | tee -a "$OUT/host.txt"
train --stage vae,encode,unet,export --unet-minutes "$unet_min"
"$py" "$here/evaluate.py" --runs "$runs" --out "$model" --samples-only --threads "$(nproc)"
echo "wall $(( $(date +%s) - start )) s" >> "$OUT/host.txt"
cp "$model/samples.png" "$model/frames.png" "$OUT/"
# the model, and what evaluate.py needs to measure it back there (not the renders, nor the optimiser)
tar -C "$work" -cf - lumen-landscapes runs/config.json runs/latents.json runs/vae_final.pt runs/unet_final.pt \
    runs/train.log | split -b 15M - "$OUT/model.tar.part-"
ls -la "$OUT"
