-- wrk: count the answers by status over every thread; with BENCH_POST=1, POST a
-- comment (each a different text) instead of the request the command line describes.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  counter = 0
end

if os.getenv("BENCH_POST") == "1" then
  request = function()
    counter = counter + 1
    local body = "author=bench&text=comment+" .. counter .. "+from+wrk+with+a+little+more+text+to+be+typical"
    return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded"}, body)
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
end
