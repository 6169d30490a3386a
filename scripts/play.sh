#!/usr/bin/env bash
# Builds the optimized web app and serves it on http://127.0.0.1:${PORT:-8080}/.
# Installs whatever is missing first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build-web.sh
port=${PORT:-8080}
echo
echo "stepscope is served at  http://127.0.0.1:${port}/"
echo "(a scenario link looks like http://127.0.0.1:${port}/?s=nlse&case=breather&solver=dop853ip&rtol=1e-9)"
# .wasm as application/wasm, and the precompressed copies to browsers that accept them.
exec python3 scripts/serve.py "$port" dist
