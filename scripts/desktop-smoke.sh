#!/usr/bin/env bash
# Starts the real desktop binary under Xvfb on a share link, takes a screenshot of the screen
# and checks that a non-blank frame was rendered (many distinct colours, not one flat fill).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-target/desktop-smoke.png}
bin=target/release/stepscope
[ -x "$bin" ] || cargo build --release --bin stepscope
rm -f "$out"
xvfb-run -a -s "-screen 0 1280x800x24" sh -c "
  $bin '?s=nlse&case=breather&solver=rk4ip' > target/desktop-smoke.log 2>&1 &
  pid=\$!
  sleep 12
  import -window root '$out'
  kill \$pid 2>/dev/null || true
"
colours=$(identify -format '%k' "$out")
echo "desktop smoke: screenshot $out has $colours distinct colours"
if [ "$colours" -lt 50 ]; then
  echo "desktop smoke: FAIL, the frame looks blank" >&2
  cat target/desktop-smoke.log >&2 || true
  exit 1
fi
