#!/usr/bin/env bash
# One idempotent set-up for `make setup`, `make demo` and `make test`: a .venv with the locked
# packages, the Debian packages mediamill needs (apt-get when root), and the Node test fixture.
# Fast when nothing changed: a stamp records what the last successful run installed.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
# SETUP_PART=debian installs only the Debian packages, SETUP_PART=python only the .venv (the
# container build runs each part in its own stage, from this one list); unset = both.
SETUP_PART=${SETUP_PART:-all}
UV_VERSION=0.13.9
# Chromium's headless-only build renders HTML templates; the fonts make text (emoji included)
# render the same everywhere.
# LibreOffice (the GUI-less builds) renders the first page of office documents for their thumbnails:
# ~235 MB installed, the only faithful renderer of DOCX/XLSX/PPTX/ODF layout.
DEBIAN_PACKAGES=(chromium-headless-shell fonts-noto-core fonts-noto-color-emoji fonts-dejavu-core
                 libreoffice-writer-nogui libreoffice-calc-nogui libreoffice-impress-nogui)

say() { printf '\033[1msetup:\033[0m %s\n' "$*"; }

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || {
  echo "setup: mediamill needs Python >= 3.11 (found $("$PYTHON" --version 2>&1))" >&2; exit 1; }

missing=()
[ "$SETUP_PART" = python ] && DEBIAN_PACKAGES=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: these Debian packages are missing: ${missing[*]}" >&2
    echo "setup: install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi

if [ "$SETUP_PART" = debian ]; then
  say "Debian packages done"
  exit 0
fi

stamp=.venv/.mediamill-setup
want=$(cat requirements.lock pyproject.toml tests/node/package-lock.json scripts/setup.sh 2>/dev/null | sha256sum | cut -c1-32)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x .venv/bin/mediamill ]; then
  say "up to date"
  exit 0
fi

[ -x .venv/bin/python ] || { say "creating .venv"; "$PYTHON" -m venv .venv; }
[ -x .venv/bin/uv ] && .venv/bin/uv --version | grep -q "$UV_VERSION" || {
  say "installing uv $UV_VERSION"; .venv/bin/python -m pip install -q "uv==$UV_VERSION"; }
say "installing locked Python packages"
# Compiled to bytecode now, as pip does by default (uv does not): a process run with
# PYTHONDONTWRITEBYTECODE, or as a user who cannot write the .venv, would otherwise compile every
# module it imports from source at every start (more than half of a worker's start-up CPU).
.venv/bin/uv pip sync -q --compile-bytecode --python .venv/bin/python requirements.lock
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e .
.venv/bin/python -m compileall -q src >/dev/null

if [ -f tests/node/package-lock.json ] && command -v npm >/dev/null; then
  say "installing the Node interop fixture (bullmq + ioredis)"
  (cd tests/node && npm ci --silent --no-audit --no-fund >/dev/null)
fi
echo "$want" > "$stamp"
say "done"
