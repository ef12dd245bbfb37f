#!/usr/bin/env bash
# $identify-care-leavers benchmark (issue 5 §7): a generated return of CHILDREN children (default 100,000) imported into
# PostgreSQL, then POST /fhir/Patient/$identify-care-leavers with NUMBERS NHS numbers (default 10,000: about 80% from the
# return, so a mix of care leavers, looked-after, left-care and adopted children, 15% valid numbers the hub does not hold,
# 5% invalid) as GP practice L85001. PDS is a small stub on loopback that answers every Patient read as registered with
# L85001, so every child the hub holds in care needs a PDS read on the first (cold) call; later calls find the
# registrations cached. Reports the cold call and the median, min and max of CALLS warm calls (default 10).
# Hub, PostgreSQL, the stub and curl share the machine's cores.
# usage: bench/identify.sh [CHILDREN] [NUMBERS] [CALLS]      results: bench/out/identify-postgres.txt
set -euo pipefail
children=${1:-100000}; numbers=${2:-10000}; calls=${3:-10}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
port=5093; pdsport=5499; base=http://127.0.0.1:$port; practice=L85001
source "$here/lib.sh"
publish_hub
start_postgres 5498
export Hub__Auth__DevTokens=true Hub__Auth__SigningKey="$work/key.pem" Logging__LogLevel__Default=Warning
export Hub__Pds__BaseUrl=http://127.0.0.1:$pdsport Hub__Pds__CacheSeconds=3600 Hub__Pds__MaxConcurrency=32 Hub__Pds__TimeoutSeconds=10
hub() { (cd "$work" && dotnet "$here/out/app/Hub.Api.dll" "$@"); }

# The PDS stub: every read answers a Patient (id = the number asked) registered with the calling practice.
cat > "$work/pds.py" <<PY
import json, sys
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
class Pds(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        nhs = self.path.rstrip("/").split("/")[-1]
        body = json.dumps({"resourceType": "Patient", "id": nhs,
            "identifier": [{"system": "https://fhir.nhs.uk/Id/nhs-number", "value": nhs}],
            "generalPractitioner": [{"type": "Organization", "identifier": {"system": "https://fhir.nhs.uk/Id/ods-organization-code", "value": "$practice"}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/fhir+json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args): pass
ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", $pdsport), Pds).serve_forever()
PY
python3 "$work/pds.py" & pids+=($!)

echo "generating and importing $children children…" >&2
hub generate ssda903 --la 933 --year 2025 --children "$children" --seed 11 "$work/return" >/dev/null
rm -rf "$work/return/provider-records" # the question is answered from the LA's data alone
# Exit 1 means some children were quarantined, which this benchmark can live with; 2 or worse is a failure.
rc=0; hub import ssda903 --la 933 --year 2025 "$work/return" > "$work/import.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "import failed ($rc):" >&2; tail -5 "$work/import.log" >&2; exit 1; }
grep -oE 'children=[0-9]+ .*unchanged=[0-9]+' "$work/import.log" | tail -1 >&2
runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 5498 -U postgres -d carehub -qc "VACUUM ANALYZE" >/dev/null

# The request: numbers from the return, valid numbers the hub does not hold, and invalid ones, shuffled (fixed seed).
python3 - "$work/return/child_identifiers.csv" "$numbers" > "$work/request.json" <<'PY'
import csv, json, random, sys
random.seed(11)
held = [r["NHS_NUMBER"].strip() for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")) if r["NHS_NUMBER"].strip()]
total = int(sys.argv[2]); n_held = min(len(held), total * 80 // 100); n_invalid = total * 5 // 100
def check(nine):
    c = 11 - sum(int(d) * (10 - i) for i, d in enumerate(nine)) % 11
    return None if c == 10 else (0 if c == 11 else c)
known = set(held); unknown = []
while len(unknown) < total - n_held - n_invalid:
    nine = str(random.randint(100000000, 999999999)); c = check(nine)
    if c is not None and nine + str(c) not in known: unknown.append(nine + str(c))
invalid = []
while len(invalid) < n_invalid:
    nine = str(random.randint(100000000, 999999999)); c = check(nine)
    invalid.append(nine + str(((c or 0) + 1) % 10) if random.random() < 0.8 else nine[:7])
asked = random.sample(held, n_held) + unknown + invalid
random.shuffle(asked)
print(json.dumps({"resourceType": "Parameters", "parameter": [{"name": "nhsNumber", "valueString": n} for n in asked]}))
PY

(cd "$work" && exec dotnet "$here/out/app/Hub.Api.dll" --urls "$base" > "$work/hub.log" 2>&1) & pids+=($!)
for i in $(seq 1 150); do curl -sf "$base/fhir/metadata" >/dev/null && break; sleep 0.2; done
TOKEN=$(curl -s -X POST "$base/auth/dev-token" -H 'Content-Type: application/json' -d "{\"org\":\"$practice\",\"org_type\":\"gp\"}" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
# The profile validator warms up in the background at start: $validate waits for it, so it does not share the measurement.
curl -s -o /dev/null -X POST "$base/fhir/Patient/\$validate" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/fhir+json' \
  -d '{"resourceType":"Patient","birthDate":"2012-01-01"}'

call() { # call OUTFILE → prints "http_code seconds"
  curl -s -o "$1" -w '%{http_code} %{time_total}\n' -X POST "$base/fhir/Patient/\$identify-care-leavers" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/fhir+json' --data-binary @"$work/request.json"
}
statuses() {
  python3 -c 'import json,sys,collections
p=json.load(open(sys.argv[1])); c=collections.Counter(next(x["valueCode"] for x in r["part"] if x["name"]=="status") for r in p["parameter"])
print(" ".join(f"{k}={v}" for k,v in sorted(c.items())))' "$1"
}
read -r code cold < <(call "$work/cold.json")
[ "$code" = 200 ] || { echo "the cold call answered $code:" >&2; head -c 600 "$work/cold.json" >&2; exit 1; }
warm=()
for i in $(seq 1 "$calls"); do
  read -r code t < <(call "$work/warm.json")
  [ "$code" = 200 ] || { echo "a warm call answered $code" >&2; exit 1; }
  warm+=("$t")
done
cmp -s <(statuses "$work/cold.json") <(statuses "$work/warm.json") || { echo "warm and cold answers differ" >&2; exit 1; }
median=$(printf '%s\n' "${warm[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}')
out="$here/out/identify-postgres.txt"; mkdir -p "$here/out"
{ echo "== $(date -u +%FT%TZ) $(nproc) cores; $children children; $numbers NHS numbers per call; PDS stub on loopback"
  echo "answers: $(statuses "$work/cold.json")"
  echo "RESULT cold (registrations read from PDS): ${cold}s"
  echo "RESULT warm (registrations cached), $calls calls: median ${median}s min $(printf '%s\n' "${warm[@]}" | sort -n | head -1)s max $(printf '%s\n' "${warm[@]}" | sort -n | tail -1)s"
} | tee "$out"
