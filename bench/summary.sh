#!/usr/bin/env bash
# $summary benchmark (issue 4): a generated return of CHILDREN children (default 100,000) imported into PostgreSQL,
# then GET /fhir/Patient/$summary?identifier=<NHS number> for random children, as their LA, consent rules and audit
# included (children the rules hide from the LA, e.g. out of the cohort, answer 404 and count as non2xx): p50/p99 at RATE requests/s (default 200), then flat out for the maximum sustained rate. Hub, PostgreSQL and
# wrk share the machine's 2 cores (no pinning), as the issue asks.
# usage: bench/summary.sh [CHILDREN] [RATE] [SECONDS]      results: bench/out/summary-postgres.txt
set -euo pipefail
children=${1:-100000}; rate=${2:-200}; secs=${3:-30}; conns=16
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
port=5091; base=http://127.0.0.1:$port
source "$here/lib.sh"
publish_hub
start_postgres 5496
export Hub__Auth__DevTokens=true Hub__Auth__SigningKey="$work/key.pem" Logging__LogLevel__Default=Warning
hub() { (cd "$work" && dotnet "$here/out/app/Hub.Api.dll" "$@"); }

echo "generating and importing $children children…" >&2
hub generate ssda903 --la 933 --year 2025 --children "$children" --seed 11 "$work/return" >/dev/null
rm -rf "$work/return/provider-records" # summaries from the LA's data; posting 300,000 provider records would take the run
# Exit 1 means some children were quarantined, which a summary benchmark can live with; 2 or worse is a failure.
rc=0; hub import ssda903 --la 933 --year 2025 "$work/return" > "$work/import.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "import failed ($rc):" >&2; tail -5 "$work/import.log" >&2; exit 1; }
grep -oE 'children=[0-9]+ .*unchanged=[0-9]+' "$work/import.log" | tail -1 >&2
# A database in service has been vacuumed and analysed since its big load; without this, autovacuum works through the
# 700,000 new rows during the measurement.
runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 5496 -U postgres -d carehub -qc "VACUUM ANALYZE" >/dev/null
tail -n +2 "$work/return/child_identifiers.csv" | cut -d, -f2 | grep -E '^[0-9]{10}$' | shuf -n 20000 --random-source=<(yes) > "$work/nhs.txt"

(cd "$work" && exec dotnet "$here/out/app/Hub.Api.dll" --urls "$base" > "$work/hub.log" 2>&1) & pids+=($!)
for i in $(seq 1 150); do curl -sf "$base/fhir/metadata" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST "$base/auth/dev-token" -H 'Content-Type: application/json' -d '{"org":"933","org_type":"la"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export TOKEN NHS_FILE="$work/nhs.txt" CONNS=$conns
# The profile validator warms up in the background at start (some seconds of CPU): $validate waits for it, so the
# measurement does not share the cores with it.
curl -s -o /dev/null -X POST "$base/fhir/Patient/\$validate" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/fhir+json' \
  -d '{"resourceType":"Patient","birthDate":"2012-01-01"}'
curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $TOKEN" "$base/fhir/Patient/\$summary?identifier=https://fhir.nhs.uk/Id/nhs-number|$(head -1 "$work/nhs.txt")" | grep -q 200 \
  || { echo "a summary did not answer 200" >&2; exit 1; }
out="$here/out/summary-postgres.txt"
{ echo "== $(date -u +%FT%TZ) $(nproc) cores; $children children; $conns connections; ${secs}s each"
  wrk -t1 -c"$conns" -d"10s" -s "$here/summary.lua" "$base" >/dev/null # warm-up
  # Paced: many connections each waiting connections/RATE s after its answer, so the offered rate stays near RATE
  # while answers are much faster than that wait; the achieved rate is printed beside the latencies.
  CONNS=64 RATE=$rate wrk -t1 -c64 -d"${secs}s" --latency -s "$here/summary.lua" "$base" | grep '^RESULT'
  RATE=0 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/summary.lua" "$base" | grep '^RESULT'
} | tee "$out"
