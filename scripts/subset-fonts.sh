#!/usr/bin/env bash
# Regenerates assets/fonts/ from egui's default fonts (the epaint_default_fonts crate in the
# cargo registry): Ubuntu Light and Hack cut to the Unicode blocks the app writes in (Latin,
# Greek (and its extended block), punctuation, super- and subscripts, letterlike symbols, number forms, arrows,
# mathematical operators, technical symbols, geometric shapes), with their hinting and
# kerning kept: 330 kB of fonts in the page instead of 670 kB. Not part of the build: run it
# when egui's fonts change. Needs python3-venv; fetches fontTools into a temporary venv.
set -euo pipefail
cd "$(dirname "$0")/.."
fonts=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/epaint_default_fonts-0.37*/fonts | head -1)
venv=$(mktemp -d)
python3 -m venv "$venv"
"$venv/bin/pip" install -q fonttools
blocks="U+0020-007E,U+00A0-017F,U+0370-03FF,U+1F00-1FFF,U+2000-206F,U+2070-209F,U+2100-214F,U+2150-218F,U+2190-21FF,U+2200-22FF,U+2300-23FF,U+25A0-25FF"
for font in Ubuntu-Light Hack-Regular; do
    "$venv/bin/pyftsubset" "$fonts/$font.ttf" --unicodes="$blocks" --layout-features='kern,liga' \
        --desubroutinize --output-file="assets/fonts/$font.subset.ttf"
done
cp "$fonts/egui-icons.ttf" assets/fonts/
cp "$fonts/UFL.txt" "$fonts/Hack-Regular.txt" "$fonts/emoji-icon-font-mit-license.txt" "$fonts/egui-icons.txt" assets/fonts/
rm -rf "$venv"
ls -l assets/fonts/
