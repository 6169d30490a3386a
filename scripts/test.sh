#!/usr/bin/env bash
# Runs every test: formatting and lints, the native tests (numerics, links, UI), the wasm
# build, the desktop binary under Xvfb and the built page in headless Chromium with WebGPU.
# Installs whatever is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - start )) s) ==="; }

step "setup"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --release --all-targets -- -D warnings

step "cargo test (release profile: numerics are 10-50x slower unoptimized)"
CI=${CI:-true} cargo test --release

step "wasm build (wasm-bindgen + wasm-opt)"
bash scripts/build-web.sh

step "desktop binary under Xvfb"
bash scripts/desktop-smoke.sh

step "browser end-to-end test (headless Chromium, WebGPU via SwiftShader)"
node web/e2e.mjs

step "all tests passed"
