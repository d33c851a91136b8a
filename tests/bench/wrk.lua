-- wrk script for tests/bench/run: cycles through the paths listed in the file given
-- after "--", and prints one machine-readable RESULT line at the end.
local paths = {}
local i = 0

function init(args)
  for l in io.lines(args[1]) do
    paths[#paths + 1] = l
  end
  i = math.random(#paths)
end

function request()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end

function done(summary, latency, requests)
  local s = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f bps=%.1f p50_us=%d p99_us=%d non2xx=%d errors=%d\n",
    summary.requests / s, summary.bytes / s, latency:percentile(50), latency:percentile(99),
    e.status, e.connect + e.read + e.write + e.timeout))
end
