#!/usr/bin/env bash
# Run the test suite: ./scripts/test.sh [pytest args...]
# Installs the PostgreSQL and Redis server packages when their binaries are missing; the
# tests start and stop their own throwaway servers (tests/conftest.py).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/bootstrap.sh
source scripts/bootstrap.sh

have_postgres() {
    local bindir
    bindir="$(pg_config --bindir 2>/dev/null || true)"
    [ -n "$bindir" ] && [ -x "$bindir/initdb" ] && return 0
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
if [ "${#missing[@]}" -gt 0 ]; then
    echo "==> server binaries missing for the tests: ${missing[*]}"
    apt_install "${missing[@]}"
else
    echo "==> PostgreSQL and redis-server binaries found"
fi

# The web chat page is driven in Debian's Chromium (tests/test_webchat_page.py); fonts so its text renders.
[ -x /usr/bin/chromium ] || apt_install chromium fonts-liberation

echo "==> pytest $*"
exec "$SLOTLINE_VENV/bin/pytest" "$@"
