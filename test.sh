#!/usr/bin/env bash
# Runs every test project (the core, API and browser tests a second time on PostgreSQL). Installs what the browser tests and
# the PostgreSQL pass need where it is missing.
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
# The browser journeys run on their own after the rest: beside the other test projects (which dotnet test runs in
# parallel, model training among them) a two-core machine was loaded enough that a browser action went unanswered.
dotnet test Portal.sln -c Release --no-build -nologo --filter "FullyQualifiedName!~Portal.E2E" 2>&1 | tee "$log" || status=$?
dotnet test tests/Portal.E2E -c Release --no-build -nologo 2>&1 | tee -a "$log" || status=$?

# The core, API and browser tests again on PostgreSQL, against a throwaway server on a socket of its own (removed at the end).
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$pg_bin" ] && [ "$(id -u)" = "0" ]; then
  echo "Installing Debian postgresql for the PostgreSQL pass..."
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
fi
if [ -n "$pg_bin" ]; then
  pg_dir="$(mktemp -d /tmp/portal-pg.XXXXXX)"
  as_postgres=()
  if [ "$(id -u)" = "0" ]; then
    chown postgres "$pg_dir" # the server refuses to run as root
    as_postgres=(runuser -u postgres --)
  fi
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
  "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-k $pg_dir -p 55433 -c listen_addresses='' -c fsync=off -c max_connections=300" start >/dev/null
  trap '"${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"' EXIT
  for project in tests/Portal.Core.Tests tests/Portal.Web.Tests tests/Portal.E2E; do
    echo "== $project on PostgreSQL"
    PORTAL_TEST_POSTGRES="Host=$pg_dir;Port=55433;Username=postgres" \
      dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee -a "$log" || status=$?
  done
else
  echo "PostgreSQL is not installed: the PostgreSQL pass is skipped (install Debian's postgresql to run it)."
fi

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | grep -Eo '[0-9]+' | awk '{s+=$1} END {print s+0}')
rm -f "$log"
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  exit 1
fi
