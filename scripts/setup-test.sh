#!/usr/bin/env bash
# `npm run setup:test`: what `npm test` needs besides node_modules. Today that is Debian's
# Chromium at /usr/bin/chromium, which the Swagger UI check drives (a test tool's own browser
# download fails on our machines). Installs it when missing on Debian/Ubuntu (as root, or through
# sudo); anywhere else it says what to install and exits 1. .ci/run runs this too.
# (PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 are expected to run already.)
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
  echo "setup:test: $("$CHROMIUM" --version 2>/dev/null || echo chromium) found at $CHROMIUM"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup:test: the Swagger UI test needs Chromium at $CHROMIUM, and this is not a Debian-like system." >&2
  echo "  Install Debian's 'chromium' package there, or run the tests on Debian/Ubuntu." >&2
  exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
  echo "setup:test: installing chromium through sudo (it may ask for your password)"
else
  echo "setup:test: the Swagger UI test needs Chromium at $CHROMIUM. As root, run:" >&2
  echo "  apt-get update && apt-get install -y chromium" >&2
  exit 1
fi

echo "setup:test: installing Debian's chromium (apt-get update && apt-get install -y chromium)"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

if [ ! -x "$CHROMIUM" ]; then
  echo "setup:test: apt-get installed chromium, but $CHROMIUM is still missing; the Swagger UI test looks there." >&2
  exit 1
fi
echo "setup:test: $("$CHROMIUM" --version 2>/dev/null || echo chromium) installed at $CHROMIUM"
