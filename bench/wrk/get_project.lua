-- GET one project at a time, each a random code from the file BENCH_CODES names.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")

local codes

function init(args)
  codes = read_lines("BENCH_CODES")
  math.randomseed(os.time() * 100 + thread_id)
end

function request()
  return wrk.format("GET", "/api/v1/projects/" .. codes[math.random(#codes)])
end
