#!/usr/bin/env bash
# Everything CI checks, in order: lint and format (ruff), types (mypy), then every test (pytest).
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
