#!/usr/bin/env bash
# System packages that the tests use: a CJK font for the browser, Chromium, PostgreSQL (the tests start a
# throwaway server of their own with initdb/pg_ctl; nothing is started here) and nginx with openssl (the TLS proxy
# example of docs/team.md is checked with `nginx -t`; Debian's package would start its service on install, which a
# temporary policy-rc.d prevents). Figures need neither font nor browser:
# their CJK font installs with zhagen. LibreOffice (about 200 MB) is not installed here: scripts/check-docx.sh uses it
# when present, and the test that opens the .docx in it is skipped without it.
# Installed with apt-get when this machine has it and we may use it (root, or sudo without a password);
# otherwise we say what is missing and go on: zhagen falls back and the tests that need them are skipped.
set -u
packages=(fonts-wqy-microhei chromium postgresql nginx openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "note: please install ${missing[*]} with your package manager (the browser tests need them)" >&2
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif sudo -n true 2>/dev/null; then sudo="sudo -n"; else
  echo "note: run 'sudo apt-get install ${missing[*]}' (the browser tests need them)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy"
  trap '$sudo rm -f "$policy"' EXIT
fi
$sudo apt-get update -qq >/dev/null 2>&1 || true
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || echo "note: could not install ${missing[*]}; figures fall back to what is available" >&2
exit 0
