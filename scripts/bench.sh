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
# Prints the sizes of both builds of the page (goal for the WebGPU one: ≤ 2.0 MiB gzipped).
bash scripts/build-web.sh | grep "web build: dist/"
node web/e2e.mjs | grep -E "first drawn frame|backend:"
echo
node web/bench-frames.mjs
