#!/usr/bin/env bash
# The whole test suite, as CI runs it. pytest's exit code 5 (no tests ran) is a failure here.
set -uo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check src tests bench || exit 1
# The layer contract in pyproject.toml ([tool.importlinter]): imports go downward only, no cycle.
.venv/bin/lint-imports --no-cache || exit 1
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
code=$?
if [ "$code" = 5 ]; then echo "test: no tests ran" >&2; exit 1; fi
exit "$code"
