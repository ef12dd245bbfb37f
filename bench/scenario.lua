-- One-interaction load for CareHub: SCENARIO=read (GET Patient/id), search (GET Patient?identifier=), create (POST Patient).
-- Ids come from $IDS_FILE (line k: the Patient seeded with LA child id b{k}); $TOKEN is an `la` token of $BENCH_LA.
local ids, n = {}, 0
local token = os.getenv("TOKEN")
local scenario = os.getenv("SCENARIO") or "read"
local la = os.getenv("BENCH_LA") or "933"
local system = "https://fhir.carehub.org.uk/Id/la-child-id/" .. la
local tag, made = "", 0

function init(args)
  for line in io.lines(os.getenv("IDS_FILE")) do n = n + 1; ids[n] = line end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  tag = tostring(math.random(100000, 999999))
end

function request()
  local h = { ["Accept"] = "application/fhir+json", ["Content-Type"] = "application/fhir+json", ["Authorization"] = "Bearer " .. token }
  local k = math.random(n)
  if scenario == "read" then
    return wrk.format("GET", "/fhir/Patient/" .. ids[k], h)
  elseif scenario == "search" then
    return wrk.format("GET", "/fhir/Patient?identifier=" .. system .. "|b" .. k, h)
  else
    made = made + 1
    return wrk.format("POST", "/fhir/Patient", h, '{"resourceType":"Patient","identifier":[{"system":"' .. system ..
      '","value":"c' .. tag .. '-' .. made .. '"}],"gender":"female","birthDate":"2012-05-06","managingOrganization":{"reference":"Organization/' .. la .. '"}}')
  end
end

function done(summary, latency, requests)
  local s = summary
  local errs = s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout
  io.write(string.format("RESULT scenario=%s requests=%d seconds=%.1f rps=%.0f p50_ms=%.1f p99_ms=%.1f errors=%d non2xx=%d\n",
    scenario, s.requests, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errs, s.errors.status))
end
