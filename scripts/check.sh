#!/usr/bin/env bash
# Everything CI checks, in order: lint and format (ruff), types (mypy), then every test (pytest, two workers).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Two test processes (pytest-xdist), each taking whole files, so that a module's server or Spark session
# starts once; files in the order collected, the browser tests (the slowest) first. Pass -n 0 to run in one
# process.
.venv/bin/python -m pytest -n 2 --dist loadfile --no-loadscope-reorder --durations=30 "$@"
