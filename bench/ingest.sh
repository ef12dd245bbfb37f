#!/usr/bin/env bash
# Provider ingest benchmark (issue 5 §1): a CLA health team's EPR sending transaction Bundles of 100 records (IHA
# Encounters, immunisations, weights, conditions), each naming its child by a conditional reference on the NHS number and
# carrying the team's own identifier, into a hub holding a generated return of CHILDREN children. CONCURRENCY senders post
# BUNDLES Bundles as fast as they are answered; then the first tenth are sent again, which must change nothing.
# Reports Bundles/s and records/s for new submissions and for resent ones. Hub, database and senders share the cores.
# usage: bench/ingest.sh [postgres|sqlite] [BUNDLES] [CONCURRENCY] [CHILDREN]     results: bench/out/ingest-<db>.txt
set -euo pipefail
db=${1:-postgres}; bundles=${2:-120}; concurrency=${3:-4}; children=${4:-5000}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
port=5094; base=http://127.0.0.1:$port; team=RH5
source "$here/lib.sh"
publish_hub
if [ "$db" = postgres ]; then start_postgres 5497
else export Hub__Database__Provider=Sqlite ConnectionStrings__Hub="Data Source=$work/carehub.db"; fi
export Hub__Auth__DevTokens=true Hub__Auth__SigningKey="$work/key.pem" Logging__LogLevel__Default=Warning
hub() { (cd "$work" && dotnet "$here/out/app/Hub.Api.dll" "$@"); }

echo "generating and importing $children children…" >&2
hub generate ssda903 --la 933 --year 2025 --children "$children" --seed 5 "$work/return" >/dev/null
rm -rf "$work/return/provider-records"
rc=0; hub import ssda903 --la 933 --year 2025 "$work/return" > "$work/import.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "import failed ($rc):" >&2; tail -5 "$work/import.log" >&2; exit 1; }
[ "$db" = postgres ] && runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 5497 -U postgres -d carehub -qc "VACUUM ANALYZE" >/dev/null

(cd "$work" && exec dotnet "$here/out/app/Hub.Api.dll" --urls "$base" > "$work/hub.log" 2>&1) & pids+=($!)
for i in $(seq 1 150); do curl -sf "$base/fhir/metadata" >/dev/null && break; sleep 0.2; done
token() { curl -s -X POST "$base/auth/dev-token" -H 'Content-Type: application/json' -d "$1" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }
TOKEN=$(token "{\"org\":\"$team\",\"org_type\":\"provider\",\"role\":\"cla-health-team\",\"purpose_of_use\":\"statutory-health-assessment\"}")
# The profile validator warms up in the background at start: $validate waits for it, so it does not share the measurement.
curl -s -o /dev/null -X POST "$base/fhir/Patient/\$validate" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/fhir+json' \
  -d '{"resourceType":"Patient","birthDate":"2012-01-01"}'

python3 - "$work/return/child_identifiers.csv" "$bundles" "$concurrency" "$base" "$TOKEN" "$team" "$work/result.txt" <<'PY'
import csv, json, random, sys, threading, time, http.client, urllib.parse
ids_csv, bundles, concurrency, base, token, team, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6], sys.argv[7]
random.seed(5)
# Children looked after now (an open episode in the return): the team's records are about them, and the hub relates the
# team to them through their LA's ICB. Children who left care are not the team's to record for.
import os
episodes = {}
for r in csv.DictReader(open(os.path.join(os.path.dirname(ids_csv), "episodes.csv"), encoding="utf-8-sig")):
    episodes.setdefault(r["CHILD"].strip(), []).append(r)
open_now = {c for c, rows in episodes.items() if any(not (x.get("DEC") or "").strip() for x in rows)}
nhs = [r["NHS_NUMBER"].strip() for r in csv.DictReader(open(ids_csv, encoding="utf-8-sig")) if r["NHS_NUMBER"].strip() and r["CHILD"].strip() in open_now]
system = f"https://{team.lower()}.example.nhs.uk/Id/record"
def record(b, i, n):
    child = {"reference": f"Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|{n}"}
    ident = [{"system": system, "value": f"B{b}-E{i}"}]
    kind = i % 4
    if kind == 0:
        return {"resourceType": "Encounter", "identifier": ident, "status": "finished",
                "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
                "type": [{"coding": [{"system": "https://fhir.carehub.org.uk/CodeSystem/cla-health", "code": "review-health-assessment"}]}],
                "subject": child, "period": {"start": "2025-10-01", "end": "2025-10-01"}}
    if kind == 1:
        return {"resourceType": "Immunization", "identifier": ident, "status": "completed", "vaccineCode": {"text": "MMR second dose"},
                "patient": child, "occurrenceDateTime": "2016-06-01", "primarySource": False}
    if kind == 2:
        return {"resourceType": "Observation", "identifier": ident, "status": "final",
                "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}]},
                "subject": child, "effectiveDateTime": "2025-10-01",
                "valueQuantity": {"value": 40 + i % 20, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"}}
    return {"resourceType": "Condition", "identifier": ident, "subject": child, "code": {"text": "Asthma"},
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}}
def bundle(b):
    # Ten children a Bundle, ten records each: a clinic's day of assessments.
    kids = random.Random(b).sample(nhs, 10)
    entries = [record(b, i, kids[i // 10]) for i in range(100)]
    return json.dumps({"resourceType": "Bundle", "type": "transaction", "identifier": {"system": system, "value": f"B{b}"},
        "entry": [{"resource": r, "request": {"method": "POST", "url": r["resourceType"]}} for r in entries]}).encode()
bodies = [bundle(b) for b in range(bundles)]
u = urllib.parse.urlparse(base)
def run(todo):
    lock = threading.Lock(); queue = list(todo); failures = []; latencies = []
    def worker():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=300)
        while True:
            with lock:
                if not queue: return
                body = queue.pop(0)
            t = time.monotonic()
            c.request("POST", "/fhir", body, {"Authorization": "Bearer " + token, "Content-Type": "application/fhir+json"})
            r = c.getresponse(); text = r.read()
            with lock:
                latencies.append(time.monotonic() - t)
                if r.status != 200: failures.append((r.status, text[:300]))
    start = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads: t.start()
    for t in threads: t.join()
    elapsed = time.monotonic() - start
    if failures: print("failures:", len(failures), failures[0], file=sys.stderr); sys.exit(1)
    latencies.sort()
    return elapsed, latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
new = run(bodies)
resent = run(bodies[: max(1, bundles // 10)])
with open(out, "w") as f:
    n = len(bodies); m = max(1, bundles // 10)
    f.write(f"RESULT new submissions: {n} Bundles of 100 in {new[0]:.1f}s = {n/new[0]:.2f} Bundles/s, {100*n/new[0]:.0f} records/s; per Bundle p50 {new[1]:.2f}s p99 {new[2]:.2f}s\n")
    f.write(f"RESULT resent (unchanged): {m} Bundles in {resent[0]:.1f}s = {m/resent[0]:.2f} Bundles/s, {100*m/resent[0]:.0f} records/s; per Bundle p50 {resent[1]:.2f}s\n")
PY
# Nothing was written twice: the resent Bundles made no new versions.
if [ "$db" = postgres ]; then
  versions=$(runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 5497 -U postgres -d carehub -tAc "SELECT count(*) FROM resource_versions WHERE \"Version\" > 1 AND \"Type\" IN ('Encounter','Immunization','Observation','Condition') AND \"Json\" LIKE '%example.nhs.uk%'")
  [ "$versions" = 0 ] || { echo "resent Bundles made $versions new versions" >&2; exit 1; }
fi
out="$here/out/ingest-$db.txt"; mkdir -p "$here/out"
{ echo "== $(date -u +%FT%TZ) $(nproc) cores; $db; $children children; $bundles transaction Bundles of 100 records, $concurrency senders"
  cat "$work/result.txt"; } | tee "$out"
