#!/usr/bin/env bash
# Install Debian's headless browser for tests/test_explorer.py: chromium and chromium-driver
# (Selenium drives them; nothing is downloaded besides the apt packages).
#
#   sudo tests/browser/install.sh
#
# Exit status: 0 installed (or already there); 77 it cannot be installed here (not root, no
# apt-get, apt failed, e.g. no network): the browser tests then skip and say why.
set -euo pipefail

say() { echo "browser/install.sh: $*" >&2; }
cannot() { say "cannot install chromium here: $*; the browser tests will skip"; exit 77; }

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
    exit 0
fi
[[ $(id -u) -eq 0 ]] || cannot "must run as root"
command -v apt-get >/dev/null || cannot "no apt-get"
log=$(mktemp)
start=$SECONDS
if ! {
    DEBIAN_FRONTEND=noninteractive apt-get update -q -o Acquire::http::Timeout=30 &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium chromium-driver
} >"$log" 2>&1; then
    tail -n 5 "$log" >&2
    cannot "apt-get install chromium chromium-driver failed (log: $log)"
fi
say "chromium and chromium-driver installed in $((SECONDS - start)) s"
