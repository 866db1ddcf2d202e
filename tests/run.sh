#!/usr/bin/env bash
# The README's test command. From a fresh clone, without root and without ../shared:
# installs coverbt and its test tools into .venv, then runs ruff, mypy and pytest.
# Tests that need the full vendor snapshot (../shared/market-data) or Chromium are skipped
# without them, each with its reason; .ci/run has both and sets COVERBT_REQUIRE_ALL=1,
# under which any skip fails the run. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e ".[test]"

.venv/bin/ruff check coverbt tests benchmarks
.venv/bin/mypy coverbt
.venv/bin/python -m pytest -q -p no:cacheprovider "$@"
