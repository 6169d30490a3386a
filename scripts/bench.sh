#!/usr/bin/env bash
# Prints every measured figure of the README: the NLSE CPU benchmark, the GPU layer, the NLSE
# on the GPU vs the CPU, the three-body integrators and ensembles, the diffusion samplers (work–precision and throughput), the optimized .wasm size, time to first frame and the frame times of the live page in headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench nlse
echo
cargo bench --bench gpu
echo
cargo bench --bench nlse_gpu
echo
cargo bench --bench threebody
echo
cargo bench --bench diffusion
echo
cargo bench --bench navier_stokes
echo
[ -f dist/stepscope_bg.wasm ] || bash scripts/build-web.sh
raw=$(stat -c %s dist/stepscope_bg.wasm)
gz=$(gzip -9 -c dist/stepscope_bg.wasm | wc -c)
echo "optimized .wasm: $(awk "BEGIN{printf \"%.2f\", $raw/1048576}") MB, gzipped $(awk "BEGIN{printf \"%.2f\", $gz/1048576}") MB (goal ≤ 3 MB gzipped)"
node web/e2e.mjs | grep -E "time to first frame|backend:"
echo
node web/bench-frames.mjs
