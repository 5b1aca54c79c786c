-- GET the URL given on the command line, with the bearer token.
dofile(os.getenv("BENCH_WRK_DIR") .. "/common.lua")
