-- $summary load for CareHub: GET /fhir/Patient/$summary?identifier=<NHS number> of random children of $NHS_FILE,
-- with an `la` token ($TOKEN) of the LA that looks after them. RATE (requests/s over all connections) paces the
-- requests: each connection waits on average CONNS/RATE seconds after each answer (wrk has no rate option, nor a clock to
-- pace by), so the achieved rate falls a little short of RATE by the answers' own time; 0 = flat out.
local nhs, n = {}, 0
local token = os.getenv("TOKEN")
local rate = tonumber(os.getenv("RATE") or "0")
local gap = 0

function init(args)
  for line in io.lines(os.getenv("NHS_FILE")) do n = n + 1; nhs[n] = line end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8), 16) or 0))
  if rate > 0 then gap = math.floor(1000 * tonumber(os.getenv("CONNS") or "1") / rate) end
end

-- Uniform in [0, 2 x gap]: the same mean rate, but the connections drift apart instead of all firing together after
-- the first answers (identical gaps keep them in step, and the queue each burst makes was most of the p99).
function delay()
  if gap == 0 then return 0 end
  return math.random(0, 2 * gap)
end

function request()
  local h = { ["Accept"] = "application/fhir+json", ["Authorization"] = "Bearer " .. token }
  return wrk.format("GET", "/fhir/Patient/$summary?identifier=https://fhir.nhs.uk/Id/nhs-number|" .. nhs[math.random(n)], h)
end

function done(summary, latency, requests)
  local s = summary
  local errs = s.errors.connect + s.errors.read + s.errors.write + s.errors.status + s.errors.timeout
  io.write(string.format("RESULT rate=%s requests=%d seconds=%.1f rps=%.0f p50_ms=%.1f p99_ms=%.1f errors=%d non2xx=%d\n",
    os.getenv("RATE") or "max", s.requests, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, errs, s.errors.status))
end
