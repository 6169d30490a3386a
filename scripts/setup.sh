#!/usr/bin/env bash
# Installs everything stepscope needs on a fresh Debian 12 machine (see ../shared/TOOLCHAIN.md
# for why each piece is needed) and skips what is already present. Safe to run repeatedly.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Debian packages: Rust 1.96 + std sources for the wasm build (rustup cannot fetch the wasm32
# target here), the wasm linker (rust-web-llvm links /usr/bin/rust-lld to lld-22), wasm-opt, lavapipe for GPU tests, Chromium for the browser
# test, Xvfb + ImageMagick for the desktop smoke test, brotli for the precompressed page.
APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22 binaryen mesa-vulkan-drivers
              chromium xvfb xauth imagemagick pkg-config brotli)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: Debian packages present"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "setup: installing wasm-bindgen-cli $want (found '${have:-none}')"
  # No --locked: its lock file pins a crate version the registry here does not serve.
  cargo install wasm-bindgen-cli --version "$want" --force
else
  echo "setup: wasm-bindgen-cli $want present"
fi

# playwright-core drives /usr/bin/chromium; it never downloads a browser.
if [ ! -d web/node_modules/playwright-core ]; then
  echo "setup: installing playwright-core (npm)"
  (cd web && npm ci --no-audit --no-fund --loglevel=error)
else
  echo "setup: playwright-core present"
fi
