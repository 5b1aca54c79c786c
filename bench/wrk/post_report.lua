-- POST progress reports, each on a random project and date: the codes and dates come from
-- the files BENCH_CODES and BENCH_DATES. The bodies carry no investment figure, the one
-- field a report may contradict history with, so every report is valid.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local codes, dates
local statuses_list = {"under_construction", "suspended", "under_construction"}

function init(args)
  codes = read_lines("BENCH_CODES")
  dates = read_lines("BENCH_DATES")
  math.randomseed(os.time() * 100 + thread_id)
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local body = string.format(
    '{"as_of": "%s", "status": "%s", "percent_complete": %d, "note": "压测报告 %d"%s}',
    dates[math.random(#dates)], statuses_list[math.random(#statuses_list)],
    math.random(1, 99), math.random(1, 1000000),
    math.random() < 0.1 and ', "issues": "设备到货延迟"' or "")
  return wrk.format("POST", "/api/v1/projects/" .. codes[math.random(#codes)] .. "/progress",
    nil, body)
end
