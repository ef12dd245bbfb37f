#!/usr/bin/env bash
# CareHub load benchmark: the shared CRUD mix (../shared/bench/crud.sh) plus read-by-id, search-by-identifier and
# create on their own, with the hub (and PostgreSQL) pinned to core 0 and wrk to core 1.
# usage: bench/run.sh [postgres|sqlite] [SECONDS] [CONNECTIONS]      results: bench/out/results-<provider>.txt
set -euo pipefail
provider=${1:-postgres}; secs=${2:-30}; conns=${3:-32}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
shared=${SHARED:-$repo/../shared}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 2; }
port=5090; base=http://127.0.0.1:$port
source "$here/lib.sh"
publish_hub

export Hub__Auth__DevTokens=true Hub__Auth__SigningKey="$work/key.pem" Logging__LogLevel__Default=Warning
if [ "$provider" = postgres ]; then
  start_postgres 5499 taskset -c 0 # only the server is pinned to core 0 with the hub
else
  export Hub__Database__Provider=Sqlite ConnectionStrings__Hub="Data Source=$work/carehub.db"
fi

(cd "$work" && exec taskset -c 0 dotnet "$here/out/app/Hub.Api.dll" --urls "$base" > "$work/hub.log" 2>&1) & pids+=($!)
for i in $(seq 1 150); do curl -sf "$base/fhir/metadata" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST "$base/auth/dev-token" -H 'Content-Type: application/json' -d '{"org":"933","org_type":"la"}' | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
export TOKEN
# warm the validator and the JIT before measuring
curl -s -o /dev/null -X POST "$base/fhir/Patient" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/fhir+json' \
  -d '{"resourceType":"Patient","identifier":[{"system":"https://fhir.carehub.org.uk/Id/la-child-id/933","value":"warm"}],"birthDate":"2012-01-01","managingOrganization":{"reference":"Organization/933"}}'

out="$here/out/results-$provider.txt"; : > "$out"
echo "== CRUD mix (shared/bench/crud.sh): $secs s, $conns connections, $provider" | tee -a "$out"
SEED=${SEED:-1000} "$shared/bench/crud.sh" "$base" "$secs" "$conns" 2>"$work/crud.err" | tee -a "$out"
ids=$(mktemp); python3 - "$base" "$ids" <<'PY'
import json, os, sys, urllib.request
base, out = sys.argv[1], sys.argv[2]
h = {'Accept': 'application/fhir+json', 'Authorization': 'Bearer ' + os.environ['TOKEN']}
ids = []
for k in range(1, 1001):
    u = f"{base}/fhir/Patient?identifier=https://fhir.carehub.org.uk/Id/la-child-id/933|b{k}"
    b = json.load(urllib.request.urlopen(urllib.request.Request(u, headers=h)))
    ids.append(b['entry'][0]['resource']['id'])
open(out, 'w').write('\n'.join(ids) + '\n')
PY
for s in read search create; do
  echo "== $s: $secs s, $conns connections, $provider" | tee -a "$out"
  SCENARIO=$s IDS_FILE=$ids taskset -c 1 wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/scenario.lua" "$base" | grep '^RESULT' | tee -a "$out"
done
rm -f "$ids"
echo "results in $out" >&2
