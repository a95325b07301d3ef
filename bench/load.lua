-- wrk: a reader or a writer of the mixed-load and site-scale benches (bench/mixed.py,
-- bench/site.py). The command line's request (its headers kept) unless BENCH_POST=1: then
-- POST a form comment, each a different text; with BENCH_SITE_THREADS (threads separated
-- by commas) each POST names one of them, chosen at random, in its thread field. done()
-- prints the answers by status and the latency percentiles, which bench/mixed.py parses.
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  counter = 0
  pages = {}
  for name in string.gmatch(os.getenv("BENCH_SITE_THREADS") or "", "[^,]+") do
    table.insert(pages, name)
  end
  math.randomseed(os.time() * 100 + (id or 0))
end

local function encoded(text)
  return (string.gsub(text, "[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

if os.getenv("BENCH_POST") == "1" then
  request = function()
    counter = counter + 1
    local headers = {}
    for name, value in pairs(wrk.headers) do
      headers[name] = value
    end
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "author=bench&text=comment+" .. counter .. "+from+wrk+with+a+little+more+text+to+be+typical"
    if #pages > 0 then
      body = body .. "&thread=" .. encoded(pages[math.random(#pages)])
    end
    return wrk.format("POST", nil, headers, body)
  end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  for code, count in pairs(totals) do
    io.write(string.format("status %d: %d\n", code, count))
  end
  local errors = summary.errors
  io.write(string.format("requests: %d\n", summary.requests))
  io.write(string.format("seconds: %f\n", summary.duration / 1e6))
  io.write(string.format("errors: %d %d %d %d\n", errors.connect, errors.read, errors.write, errors.timeout))
  for _, p in ipairs({50, 99}) do
    io.write(string.format("p%d ms: %f\n", p, latency:percentile(p) / 1000))
  end
  io.write(string.format("max ms: %f\n", latency.max / 1000))
end
