#!/usr/bin/env bash
# National-scale SSDA903 import benchmark (issue 3): generate a return of CHILDREN children (default 90,000, about
# 200,000 episodes, all tables), then import it with the CLI into a fresh PostgreSQL and a fresh SQLite database,
# twice each: the first import creates everything, the second must find everything unchanged.
# Reports wall time and peak resident memory of the hub process (GNU time); PostgreSQL's own memory is not counted.
# usage: bench/import.sh [postgres|sqlite|both] [CHILDREN]      results: bench/out/import-<provider>.txt
set -euo pipefail
which=${1:-both}; children=${2:-90000}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install -y time" >&2; exit 2; }
work=$(mktemp -d /tmp/carehub-import.XXXXXX); chmod 755 "$work"
cleanup() {
  [ -n "${pgbin:-}" ] && runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" stop -m fast >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "publishing Release build…" >&2
dotnet publish "$repo/src/Hub.Api" -c Release -o "$here/out/app" -v quiet >/dev/null
hub() { (cd "$work" && dotnet "$here/out/app/Hub.Api.dll" "$@"); }

echo "generating $children children…" >&2
hub generate ssda903 --la 933 --year 2025 --children "$children" --seed 7 "$work/return" | tee "$work/generated.txt" >&2
export Logging__LogLevel__Default=Warning

measure() { # provider label → one result line
  local provider=$1 label=$2
  /usr/bin/time -f '%e %M' -o "$work/time.txt" bash -c "cd '$work' && dotnet '$here/out/app/Hub.Api.dll' import ssda903 --la 933 --year 2025 '$work/return' > '$work/import.log' 2>&1" || true
  read -r secs kib < "$work/time.txt"
  local counts; counts=$(grep -oE 'children=[0-9]+ .*unchanged=[0-9]+' "$work/import.log" | tail -1 || true)
  printf '%-10s %-9s wall %6.1f s  peak %5d MiB  %s\n' "$provider" "$label" "$secs" $((kib / 1024)) "${counts:-FAILED: see $work/import.log}"
}

run() {
  local provider=$1 out="$here/out/import-$1.txt"
  if [ "$provider" = postgres ]; then
    pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    mkdir -p "$work/pg" && chown postgres "$work/pg" && chmod 700 "$work/pg"
    runuser -u postgres -- "$pgbin/initdb" -D "$work/pg" -U postgres -A trust >/dev/null
    # Durable commits (fsync on), as in production; a larger WAL so the one big transaction does not checkpoint midway.
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/server.log" \
      -o "-p 5498 -k $work/pg -c listen_addresses=127.0.0.1 -c shared_buffers=512MB -c max_wal_size=4GB" start >/dev/null
    until runuser -u postgres -- "$pgbin/pg_isready" -h 127.0.0.1 -p 5498 >/dev/null 2>&1; do sleep 0.2; done
    runuser -u postgres -- "$pgbin/createdb" -h 127.0.0.1 -p 5498 -U postgres carehub
    export Hub__Database__Provider=Postgres ConnectionStrings__Hub="Host=127.0.0.1;Port=5498;Username=postgres;Database=carehub"
  else
    export Hub__Database__Provider=Sqlite ConnectionStrings__Hub="Data Source=$work/carehub.db"
  fi
  hub --help >/dev/null # first run of the published build, outside the measurement
  { echo "== $(date -u +%FT%TZ) $(nproc) cores; $(head -1 "$work/generated.txt")"
    measure "$provider" first
    measure "$provider" again
  } | tee "$out"
  if [ "$provider" = postgres ]; then
    runuser -u postgres -- "$pgbin/pg_ctl" -D "$work/pg" stop -m fast >/dev/null; pgbin=
  fi
}

case $which in
  postgres|sqlite) run "$which" ;;
  both) run postgres; run sqlite ;;
  *) echo "usage: bench/import.sh [postgres|sqlite|both] [CHILDREN]" >&2; exit 2 ;;
esac
