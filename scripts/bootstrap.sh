#!/usr/bin/env bash
# Shared setup, sourced by scripts/test.sh and scripts/run.sh (running it alone works too):
# makes sure python3 can build a venv, creates .venv, and installs Slotline into it
# whenever pyproject.toml changed since the last install. Safe to run again and again.
set -euo pipefail

SLOTLINE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLOTLINE_VENV="$SLOTLINE_ROOT/.venv"
SLOTLINE_STAMP="$SLOTLINE_VENV/.slotline-installed"
SLOTLINE_APT_UPDATED="${SLOTLINE_APT_UPDATED:-}"

# Run a command as root: directly when we are root, else through sudo when there is one.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "!! need root to run: $* (and sudo is not installed)" >&2
        return 1
    fi
}

# apt-get install the given Debian packages, running apt-get update once per script run.
apt_install() {
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "!! apt-get not found: please install $* with your system's package manager" >&2
        return 1
    fi
    if [ -z "$SLOTLINE_APT_UPDATED" ]; then
        echo "==> apt-get update"
        as_root apt-get update
        SLOTLINE_APT_UPDATED=1
    fi
    echo "==> apt-get install $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

slotline_bootstrap() {
    cd "$SLOTLINE_ROOT"
    if ! command -v python3 >/dev/null 2>&1 || ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        echo "==> python3 -m venv is unavailable; installing python3-venv"
        apt_install python3 python3-venv
    fi
    if [ ! -x "$SLOTLINE_VENV/bin/python" ]; then
        echo "==> creating virtualenv $SLOTLINE_VENV"
        python3 -m venv "$SLOTLINE_VENV"
    fi
    local wanted
    wanted="$(sha256sum pyproject.toml | cut -d' ' -f1)"
    if [ "$(cat "$SLOTLINE_STAMP" 2>/dev/null || true)" != "$wanted" ]; then
        echo "==> pyproject.toml changed since the last install: pip install -e '.[test]'"
        "$SLOTLINE_VENV/bin/python" -m pip install --disable-pip-version-check -q -e '.[test]'
        echo "$wanted" >"$SLOTLINE_STAMP"
    else
        echo "==> .venv is up to date with pyproject.toml"
    fi
}

slotline_bootstrap
