#!/usr/bin/env bash
# Run CI as it runs after a stop: a fresh clone of the committed main in a temporary folder, with a
# copy of the shared fixtures folder beside it, then `bash .ci/run` with CI=true. Uncommitted work is not included,
# exactly as in CI. Usage: scripts/ci-local.sh [--keep]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d -t wk-ci-XXXXXX)"
git clone -q "$repo" "$work/main"
if [ -d "$repo/../shared" ]; then cp -r "$repo/../shared" "$work/shared"; fi
cd "$work/main"
status=0
CI=true bash .ci/run || status=$?
echo "ci-local: exit $status (clone in $work)"
if [ "${1:-}" != "--keep" ]; then rm -rf "$work"; fi
exit "$status"
