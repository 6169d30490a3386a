#!/usr/bin/env bash
# Builds the optimized web app into dist/: wasm (Debian's rustc 1.96 + -Zbuild-std, see
# ../shared/TOOLCHAIN.md), wasm-bindgen, wasm-opt, and index.html. Prints the sizes.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's rustc must win over rustup's: with rustup's rustc, build-std fails ("rust-src
# component missing"). RUSTC_BOOTSTRAP=1 unlocks -Zbuild-std on the stable compiler.
export PATH="/usr/bin:$PATH"
export RUSTC_BOOTSTRAP=1
unset RUSTUP_TOOLCHAIN
/usr/bin/cargo build --lib --profile web --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort --target-dir target/web

rm -rf dist && mkdir -p dist
wasm-bindgen target/web/wasm32-unknown-unknown/web/stepscope.wasm \
    --out-dir dist --out-name stepscope --target web --no-typescript
# binaryen 108 needs the post-MVP features rustc emits spelled out.
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals dist/stepscope_bg.wasm -o dist/stepscope_bg.opt.wasm
mv dist/stepscope_bg.opt.wasm dist/stepscope_bg.wasm
cp index.html dist/
raw=$(stat -c %s dist/stepscope_bg.wasm)
gz=$(gzip -9 -c dist/stepscope_bg.wasm | wc -c)
echo "web build: dist/stepscope_bg.wasm $(awk "BEGIN{printf \"%.2f\", $raw/1048576}") MB, gzipped $(awk "BEGIN{printf \"%.2f\", $gz/1048576}") MB"
