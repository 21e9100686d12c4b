#!/usr/bin/env bash
# Check that a Word output opens: convert it to PDF with LibreOffice and count the pages.
# Usage: scripts/check-docx.sh [zhagen-out/results.docx]
set -eu
docx="${1:-zhagen-out/results.docx}"
soffice="$(command -v soffice || command -v libreoffice || true)"
if [ -z "$soffice" ]; then
  echo "LibreOffice not installed: apt-get install libreoffice-writer-nogui (about 200 MB), then run again" >&2
  exit 2
fi
[ -f "$docx" ] || { echo "$docx: no such file (run: make run)" >&2; exit 2; }
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$soffice" "-env:UserInstallation=file://$out/profile" --headless --convert-to pdf --outdir "$out" "$docx" >/dev/null
pdf="$out/$(basename "${docx%.*}").pdf"
[ -s "$pdf" ] || { echo "$docx: LibreOffice could not convert it" >&2; exit 1; }
pages="$(.venv/bin/python -c 'import sys, pypdfium2; print(len(pypdfium2.PdfDocument(sys.argv[1])))' "$pdf" 2>/dev/null || echo '?')"
echo "$docx opens in LibreOffice: $pages pages as PDF"
