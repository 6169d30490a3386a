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
echo "web build: compiling the wasm (cargo, -Zbuild-std; minutes from scratch, seconds when nothing changed)"
/usr/bin/cargo build --lib --profile web --target wasm32-unknown-unknown \
    -Zbuild-std=std,panic_abort --target-dir target/web

raw_wasm=target/web/wasm32-unknown-unknown/web/stepscope.wasm
# dist/ is rebuilt only when its inputs changed: wasm-opt alone takes about a minute here.
stamp=$( (sha256sum "$raw_wasm" index.html scripts/build-web.sh; wasm-opt --version; wasm-bindgen --version) | sha256sum | cut -d' ' -f1)
if [ -f dist/stepscope_bg.wasm ] && [ "$(cat dist/.build-stamp 2>/dev/null)" = "$stamp" ]; then
    echo "web build: dist/ is up to date with the compiled wasm (wasm-opt and wasm-bindgen skipped)"
else
    rm -rf dist && mkdir -p dist
    # wasm-opt runs on rustc's output, before wasm-bindgen: binaryen 108 rewrites the externref
    # table wasm-bindgen emits into a funcref table, which fails at start-up in the browser
    # ("WebAssembly.Table.set(): Argument 1 is invalid for table"). binaryen 108 needs the
    # post-MVP features rustc emits spelled out.
    echo "web build: wasm-opt -Oz (about a minute on two cores)"
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-mutable-globals --enable-reference-types \
        "$raw_wasm" -o target/web/stepscope.opt.wasm
    echo "web build: wasm-bindgen"
    wasm-bindgen target/web/stepscope.opt.wasm \
        --out-dir dist --out-name stepscope --target web --no-typescript
    cp index.html dist/
    # Precompressed copies beside the files: scripts/serve.py (and any static server that
    # negotiates Content-Encoding) sends them to browsers that accept them.
    echo "web build: precompressing (gzip -9, brotli -q 11)"
    for file in dist/stepscope_bg.wasm dist/stepscope.js dist/index.html; do
        gzip -9 -k -f "$file"
        brotli -q 11 -f "$file"
    done
    echo "$stamp" > dist/.build-stamp
fi
# MiB (2^20 bytes), as the size goals of issue 19 were measured.
mib() { awk "BEGIN{printf \"%.2f\", $(stat -c %s "$1")/1048576}"; }
echo "web build: dist/stepscope_bg.wasm $(mib dist/stepscope_bg.wasm) MiB, gzipped $(mib dist/stepscope_bg.wasm.gz) MiB, brotli $(mib dist/stepscope_bg.wasm.br) MiB"
