#!/usr/bin/env bash
# The dashboard's browser tests drive Debian's Chromium with playwright-core (npm cannot
# download a browser here). Installs it when it can (as root, with apt-get); otherwise says
# how, and the browser tests skip with the same message. Never fails the setup.
set -uo pipefail
chromium_bin=${BATON_CHROMIUM:-/usr/bin/chromium}
if [ -x "$chromium_bin" ]; then
  echo "browser tests: using $chromium_bin"
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "browser tests: installing Debian's chromium (apt-get install chromium)"
  if { apt-get install -y -qq chromium >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; } && [ -x "$chromium_bin" ]; then
    echo "browser tests: installed $("$chromium_bin" --version 2>/dev/null | head -1)"
    exit 0
  fi
  echo "browser tests: apt-get could not install chromium; they will be skipped"
  exit 0
fi
echo "browser tests: no $chromium_bin; they will be skipped (install it with: sudo apt-get install chromium)"
