#!/usr/bin/env bash
# Builds the optimized web app into dist/: wasm (Debian's rustc 1.96 + -Zbuild-std, see
# ../shared/TOOLCHAIN.md), wasm-bindgen, wasm-opt, and index.html. Prints the sizes.
#
# The page is built twice: stepscope_bg.wasm draws and computes with WebGPU alone, and
# stepscope_webgl_bg.wasm adds wgpu's WebGL2 back end (the `webgl` feature: the naga shader
# translator and wgpu-core, about 1.5 MB) for browsers without WebGPU. index.html loads the
# one the browser can use, so a WebGPU browser never downloads the WebGL back end.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's rustc must win over rustup's: with rustup's rustc, build-std fails ("rust-src
# component missing"). RUSTC_BOOTSTRAP=1 unlocks -Zbuild-std on the stable compiler.
export PATH="/usr/bin:$PATH"
export RUSTC_BOOTSTRAP=1
unset RUSTUP_TOOLCHAIN
raw_wasm=target/web/wasm32-unknown-unknown/web/stepscope.wasm
# compile NAME [CARGO FLAGS…]: the library for the browser, kept as target/web/NAME.wasm (both
# builds write the same artifact path).
compile() {
    local name=$1
    shift
    echo "web build: compiling the $name wasm (cargo, -Zbuild-std; minutes from scratch, seconds when nothing changed)"
    /usr/bin/cargo build --lib --profile web --target wasm32-unknown-unknown \
        -Zbuild-std=std,panic_abort --target-dir target/web "$@"
    cp "$raw_wasm" "target/web/$name.wasm"
}
compile webgpu
compile webgl --features webgl

# dist/ is rebuilt only when its inputs changed: wasm-opt alone takes about a minute here.
stamp=$( (sha256sum target/web/webgpu.wasm target/web/webgl.wasm index.html scripts/build-web.sh; wasm-opt --version; wasm-bindgen --version) | sha256sum | cut -d' ' -f1)
if [ -f dist/stepscope_bg.wasm ] && [ -f dist/stepscope_webgl_bg.wasm ] && [ "$(cat dist/.build-stamp 2>/dev/null)" = "$stamp" ]; then
    echo "web build: dist/ is up to date with the compiled wasm (wasm-opt and wasm-bindgen skipped)"
else
    rm -rf dist && mkdir -p dist
    # build NAME OUT: wasm-opt, then wasm-bindgen into dist/OUT.js and dist/OUT_bg.wasm.
    # wasm-opt runs on rustc's output, before wasm-bindgen: binaryen 108 rewrites the externref
    # table wasm-bindgen emits into a funcref table, which fails at start-up in the browser
    # ("WebAssembly.Table.set(): Argument 1 is invalid for table"). binaryen 108 needs the
    # post-MVP features rustc emits spelled out.
    bundle() {
        echo "web build: wasm-opt -Oz, the $1 build (about a minute on two cores)"
        wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
            --enable-mutable-globals --enable-reference-types \
            "target/web/$1.wasm" -o "target/web/$1.opt.wasm"
        echo "web build: wasm-bindgen, the $1 build"
        wasm-bindgen "target/web/$1.opt.wasm" \
            --out-dir dist --out-name "$2" --target web --no-typescript
    }
    bundle webgpu stepscope
    bundle webgl stepscope_webgl
    cp index.html dist/
    # Precompressed copies beside the files: scripts/serve.py (and any static server that
    # negotiates Content-Encoding) sends them to browsers that accept them.
    echo "web build: precompressing (gzip -9, brotli -q 11)"
    for file in dist/*.wasm dist/*.js dist/index.html; do
        gzip -9 -k -f "$file"
        brotli -q 11 -f "$file"
    done
    echo "$stamp" > dist/.build-stamp
fi
# MiB (2^20 bytes), as the size goals of issue 19 were measured.
mib() { awk "BEGIN{printf \"%.2f\", $(stat -c %s "$1")/1048576}"; }
for wasm in stepscope_bg stepscope_webgl_bg; do
    echo "web build: dist/$wasm.wasm $(mib "dist/$wasm.wasm") MiB, gzipped $(mib "dist/$wasm.wasm.gz") MiB, brotli $(mib "dist/$wasm.wasm.br") MiB"
done
