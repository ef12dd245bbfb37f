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
source "$here/lib.sh"
publish_hub
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
    start_postgres 5498
  else
    export Hub__Database__Provider=Sqlite ConnectionStrings__Hub="Data Source=$work/carehub.db"
  fi
  hub --help >/dev/null # first run of the published build, outside the measurement
  { echo "== $(date -u +%FT%TZ) $(nproc) cores; $(head -1 "$work/generated.txt")"
    measure "$provider" first
    measure "$provider" again
  } | tee "$out"
  stop_postgres
  rm -rf "$work/pg"
}

case $which in
  postgres|sqlite) run "$which" ;;
  both) run postgres; run sqlite ;;
  *) echo "usage: bench/import.sh [postgres|sqlite|both] [CHILDREN]" >&2; exit 2 ;;
esac
