-- wrk script for the bench (driven by wrk.mjs):
--   wrk ... -s wrk.lua <url> -- <requests file> <responses per thread>
-- The requests file has one request per line, `path<TAB>Header: value...`;
-- each thread cycles through them (starting at its own offset) and stops
-- after its share of responses, so a run is a fixed number of requests.
-- wrk itself runs until its -d duration or SIGINT: a stopped thread prints
-- `wrk_thread_done`, and wrk.mjs sends the SIGINT once all have.
-- done() prints `wrk_<name> <value>` lines: totals, latency percentiles
-- and the count per status code.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local fields = {}
    for field in string.gmatch(line, "[^\t]+") do table.insert(fields, field) end
    local headers = {}
    for i = 2, #fields do
      local name, value = string.match(fields[i], "^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    table.insert(requests, wrk.format("GET", fields[1], headers))
  end
  limit = tonumber(args[2])
  cursor = (id * 7919) % #requests
  answered = 0
  statuses = {}
end

function request()
  cursor = cursor % #requests + 1
  return requests[cursor]
end

function response(status)
  statuses[status] = (statuses[status] or 0) + 1
  answered = answered + 1
  if answered == limit then
    io.write("wrk_thread_done\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency)
  local e = summary.errors
  io.write(string.format("wrk_requests %d\n", summary.requests))
  io.write(string.format("wrk_duration_us %d\n", summary.duration))
  io.write(string.format("wrk_socket_errors %d\n", e.connect + e.read + e.write + e.timeout))
  for _, p in ipairs({ 50, 90, 99 }) do
    io.write(string.format("wrk_p%d_us %d\n", p, latency:percentile(p)))
  end
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  for status, count in pairs(total) do
    io.write(string.format("wrk_status_%d %d\n", status, count))
  end
end
