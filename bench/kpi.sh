#!/usr/bin/env bash
# KPI benchmark (issue 6 §1): a generated return of CHILDREN children (default 100,000) imported into PostgreSQL, the CLA
# health teams' dated health assessments (the generator's IHA/RHA Encounters; its Immunizations are left out, as no KPI
# reads them) posted as transaction Bundles of 2,000 entries, then all five Measures evaluated for the whole hub
# (admin token, purpose kpi, no subject) for the collection year 2024/25, one after the other, on a hub just started
# (cold: no query, page or JIT warm in the hub process), then again (warm). Reports each call and the totals.
# Hub, PostgreSQL and curl share the machine's cores.
# usage: bench/kpi.sh [CHILDREN]      results: bench/out/kpi-postgres.txt
#        KEEP=1 bench/kpi.sh, then REUSE=<the folder it kept> bench/kpi.sh: the cold and warm calls again on the same
#        database (with the hub as now built), without the quarter of an hour of loading.
set -euo pipefail
children=${1:-100000}
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/.." && pwd)
port=5095; base=http://127.0.0.1:$port
source "$here/lib.sh"
publish_hub
start_postgres 5496
export Hub__Auth__DevTokens=true Hub__Auth__SigningKey="$work/key.pem" Logging__LogLevel__Default=Warning
hub() { (cd "$work" && dotnet "$here/out/app/Hub.Api.dll" "$@"); }
measures=(iha-20-working-days rha-on-time dental-check immunisations-up-to-date sdq-recorded)

start_hub() {
  (cd "$work" && exec dotnet "$here/out/app/Hub.Api.dll" --urls "$base" > "$work/hub.log" 2>&1) & hubpid=$!; pids+=($hubpid)
  for i in $(seq 1 300); do curl -sf "$base/fhir/metadata" >/dev/null && return; sleep 0.2; done
  echo "the hub did not start" >&2; exit 1
}
token() { curl -s -X POST "$base/auth/dev-token" -H 'Content-Type: application/json' -d "$1" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'; }

if [ -z "${REUSE:-}" ]; then
echo "generating and importing $children children…" >&2
hub generate ssda903 --la 933 --year 2025 --children "$children" --seed 13 "$work/return" >/dev/null
rc=0; hub import ssda903 --la 933 --year 2025 "$work/return" > "$work/import.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { echo "import failed ($rc):" >&2; tail -5 "$work/import.log" >&2; exit 1; }
grep -oE 'children=[0-9]+ .*unchanged=[0-9]+' "$work/import.log" | tail -1 >&2

start_hub
echo "posting the health teams' assessments…" >&2
python3 - "$work/return/provider-records" "$base" "$work/posted.txt" <<'PY'
import json, os, sys, subprocess, http.client, urllib.parse, concurrent.futures
folder, base, out = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(base)
def token(team):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    c.request("POST", "/auth/dev-token", json.dumps({"org": team, "org_type": "provider", "role": "cla-health-team",
              "purpose_of_use": "statutory-health-assessment"}), {"Content-Type": "application/json"})
    return json.loads(c.getresponse().read())["access_token"]
def post(args):
    tok, entries = args
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=600)
    c.request("POST", "/fhir", json.dumps({"resourceType": "Bundle", "type": "transaction", "entry": entries}),
              {"Content-Type": "application/fhir+json", "Authorization": "Bearer " + tok, "Prefer": "return=minimal"})
    r = c.getresponse(); body = r.read()
    if r.status != 200: raise SystemExit(f"a Bundle answered {r.status}: {body[:400]!r}")
    return len(entries)
jobs = []
for name in sorted(os.listdir(folder)):
    team = name[:-5]; tok = token(team)
    entries = [e for e in json.load(open(os.path.join(folder, name)))["entry"] if e["resource"]["resourceType"] == "Encounter"]
    jobs += [(tok, entries[i:i + 2000]) for i in range(0, len(entries), 2000)]
with concurrent.futures.ThreadPoolExecutor(4) as pool: total = sum(pool.map(post, jobs))
open(out, "w").write(f"{total} assessment Encounters posted\n")
PY
cat "$work/posted.txt" >&2
kill "$hubpid"; wait "$hubpid" 2>/dev/null || true
runuser -u postgres -- "$pgbin/psql" -h 127.0.0.1 -p 5496 -U postgres -d carehub -qc "VACUUM ANALYZE" >/dev/null

else
  children=$(grep -oE "children=[0-9]+" "$work/import.log" | tail -1 | cut -d= -f2)
fi
start_hub # cold: a fresh hub process
TOKEN=$(token '{"org":"carehub-admin","org_type":"admin","purpose_of_use":"kpi"}')
run() { # run LABEL → one line per measure and the total
  local total=0 line
  for m in "${measures[@]}"; do
    read -r code t < <(curl -s -o "$work/$m.json" -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" \
      "$base/fhir/Measure/$m/\$evaluate-measure?periodStart=2024-04-01&periodEnd=2025-03-31")
    [ "$code" = 200 ] || { echo "$m answered $code:" >&2; head -c 600 "$work/$m.json" >&2; exit 1; }
    line=$(python3 - "$work/$m.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["group"][0]
pops = " ".join("%s=%s" % (p["code"]["coding"][0]["code"], p.get("count", "-")) for p in g["population"])
print(pops, "score=%s" % g.get("measureScore", {}).get("value", "-"))
PY
)
    echo "  $1 $m: ${t}s  $line"
    total=$(python3 -c "print(round($total + $t, 3))")
  done
  echo "RESULT $1 all five: ${total}s"
}
out="$here/out/kpi-postgres.txt"; mkdir -p "$here/out"
{ echo "== $(date -u +%FT%TZ) $(nproc) cores; $children children; $(cat "$work/posted.txt"); whole hub, 2024/25"
  run cold
  run warm
} | tee "$out"
