-- feed.lua: wrk script of bench/run. Sends the feed key (FEED_KEY) in X-API-Key, asks for gzip
-- when ENCODING=gzip, and prints one JSON line of results that bench/cmd/report reads.
wrk.headers["X-API-Key"] = os.getenv("FEED_KEY") or ""
if os.getenv("ENCODING") == "gzip" then
  wrk.headers["Accept-Encoding"] = "gzip"
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"p50_us":%d,"p99_us":%d,"errors":%d,"status_errors":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
