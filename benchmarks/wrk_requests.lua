-- wrk script of benchmarks/app_cluster_bench.py.
-- Arguments (after `--`): mode ("hello", "home" or "post"), a file of bearer tokens (one per
-- line; empty for hello) and a nonce unique to the run.
-- home: GET the URL's path with a token that changes every request (many users' caches).
-- post: POST /api/v1/statuses, a unique text and Idempotency-Key per request.
-- done() prints one line "WRKJSON {...}" that the benchmark parses.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local mode, nonce
local tokens = {}
local counter = 0

function init(args)
  mode = args[1] or "hello"
  nonce = args[3] or "run"
  local path = args[2]
  if path ~= nil and path ~= "" then
    for line in io.lines(path) do
      if line ~= "" then tokens[#tokens + 1] = line end
    end
  end
end

local function token()
  -- Threads start at different offsets and step through every token in turn.
  local i = (counter + tid * 7919) % #tokens
  return tokens[i + 1]
end

function request()
  counter = counter + 1
  if mode == "home" then
    return wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. token() })
  elseif mode == "post" then
    local key = nonce .. "-" .. tid .. "-" .. counter
    local body = "status=wrk+post+" .. key .. "+about+%23systemdesign"
    return wrk.format("POST", "/api/v1/statuses", {
      ["Authorization"] = "Bearer " .. token(),
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["Idempotency-Key"] = key,
    }, body)
  end
  return wrk.format("GET", nil, nil)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d, '
      .. '"errors_read": %d, "errors_write": %d, "errors_timeout": %d, '
      .. '"p50_us": %d, "p99_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
