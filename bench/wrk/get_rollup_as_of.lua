-- GET the rollup by park as the portfolio stood at a random past date from the file
-- BENCH_DATES names: each date a different question, so each answer is computed afresh.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local dates

function init(args)
  dates = read_lines("BENCH_DATES")
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  return wrk.format("GET", "/api/v1/rollups?by=park&as_of=" .. dates[math.random(#dates)])
end
