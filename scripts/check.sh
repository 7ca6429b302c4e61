#!/usr/bin/env bash
# Everything CI checks, in order: lint and format (ruff), types (mypy), then every test (pytest, two workers).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Two workers (the browser tests mostly wait on a server and Chromium); a module's tests stay together
# on one worker, so a module's server or Spark session starts once.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
