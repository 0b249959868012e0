#!/usr/bin/env bash
# Runs every test project. Installs what the browser tests need where it is missing.
set -euo pipefail
cd "$(dirname "$0")"

CHROMIUM="${PORTAL_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "Installing Debian chromium for the Playwright tests..."
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "The Playwright tests need Chromium at $CHROMIUM. Install it (sudo apt-get install chromium) or set PORTAL_CHROMIUM." >&2
    exit 1
  fi
fi

dotnet tool restore >/dev/null
dotnet build Portal.sln -c Release -nologo -clp:ErrorsOnly

log="$(mktemp)"
status=0
dotnet test Portal.sln -c Release --no-build -nologo 2>&1 | tee "$log" || status=$?

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
