#!/usr/bin/env bash
# Issue 15's GPU measurements in one run: the per-article loop, length-sorted batches up to the
# largest that fits, a static KV cache, and CUDA graphs (torch.compile reduce-overhead), all on an
# mT5-base-shaped model with random weights in bfloat16, 200-512 tokens in, 64 out, greedy.
# Usage on a CUDA machine: bash scripts/gpu_bench.sh [LOGDIR]   (logs go to LOGDIR, default out/gpu)
set -u
LOG=${1:-out/gpu}
mkdir -p "$LOG"
export PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
B=(python3 scripts/bench.py summarize --random-mt5-base --device cuda --dtype bfloat16 --repeats 1)
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__)"
} 2>&1 | tee "$LOG/gpu.txt"
# 1. eager: naive loop vs batches of 512..4096 rows (encoder in slices of 512), then a profile
timeout 170 "${B[@]}" --articles 4096 --naive-limit 8 --max-batch-size 512,1024,2048,4096 \
  --encoder-batch-size 512 --time-limit 120 --profile 1024 2>&1 | tee "$LOG/eager.log"
# 2. static KV cache, one padded shape (no compile)
timeout 70 "${B[@]}" --articles 2048 --naive-limit 2 --max-batch-size 1024 --pad-to-multiple-of 512 \
  --static-cache 2>&1 | tee "$LOG/static.log"
# 3. static cache + CUDA graphs (torch.compile mode reduce-overhead), one padded shape
timeout 150 "${B[@]}" --articles 4096 --naive-limit 2 --max-batch-size 1024 --pad-to-multiple-of 512 \
  --cuda-graphs 2>&1 | tee "$LOG/graphs.log"
