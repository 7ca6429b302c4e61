#!/usr/bin/env bash
# Install everything the app and its tests need; safe to run again.
# System: Debian's Chromium (the browser benchmarks drive it), its headless shell (the browser tests
# drive it, and kaleido draws the PNG, SVG and PDF exports in it) and fonts, and a Java runtime for the
# Spark engine (its tests run a local Spark) when there is none.
# Python: a virtual environment in .venv with the package and its test tools.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
[ -x /usr/bin/chromium-headless-shell ] || need_apt+=(chromium-headless-shell)
dpkg -s fonts-noto-core >/dev/null 2>&1 || need_apt+=(fonts-noto-core)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
need_java=0
command -v java >/dev/null 2>&1 || need_java=1
if [ ${#need_apt[@]} -gt 0 ] || [ $need_java -eq 1 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  if [ $need_java -eq 1 ]; then  # Java 17 (Debian 12); on a Debian without it, its default runtime (21)
    if apt-cache show openjdk-17-jre-headless >/dev/null 2>&1; then need_apt+=(openjdk-17-jre-headless)
    else need_apt+=(default-jre-headless); fi
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
log=$(mktemp)
if ! .venv/bin/python -m pip install --disable-pip-version-check -e '.[test]' >"$log" 2>&1; then
  cat "$log"; echo "setup: pip install failed" >&2; exit 1
fi
rm -f "$log"
# axe-core (accessibility checks the browser tests inject), from the npm registry, as package-lock.json pins it.
if [ ! -f node_modules/axe-core/axe.min.js ]; then
  npm ci --no-audit --no-fund --silent >/dev/null || { echo "setup: npm ci failed" >&2; exit 1; }
fi
.venv/bin/python -W ignore::FutureWarning -c "import dashboard, dash, plotly, kaleido, playwright, pyspark.sql.connect.session"
echo "setup: ready (.venv, Chromium at /usr/bin/chromium and its headless shell)"
