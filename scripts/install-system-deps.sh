#!/usr/bin/env bash
# Installs the Debian packages the tests use, only those missing. Needs root (CI runs as root);
# without it, the tests that need a missing tool skip with a printed reason.
set -euo pipefail
need=()
command -v nats-server >/dev/null || need+=(nats-server)
command -v promtool >/dev/null || need+=(prometheus)
command -v chromium >/dev/null || need+=(chromium)
command -v wrk >/dev/null || need+=(wrk)
((${#need[@]})) || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "not root: cannot install ${need[*]}; tests needing them will skip" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
