-- bench/latency.lua: a wrk script that prints p50, p95 and p99 latency in milliseconds
-- (wrk's own --latency table has no p95). With LAT_PREFIX and LAT_MAX in the environment,
-- each request asks for LAT_PREFIX followed by a random number from 1 to LAT_MAX (a random
-- record), with the headers given on wrk's command line. With LAT_PATHS (a file of paths, one
-- a line), each request asks for one of them at random. With LAT_BODY (a file holding an
-- urlencoded form), every request is a POST of that form to the URL given.
local prefix = os.getenv("LAT_PREFIX") or ""
local max = tonumber(os.getenv("LAT_MAX") or "0") or 0
local paths_file = os.getenv("LAT_PATHS") or ""
local paths = {}

local body_file = os.getenv("LAT_BODY") or ""

if body_file ~= "" then
    local f = assert(io.open(body_file, "r"))
    wrk.method = "POST"
    wrk.body = f:read("*a")
    f:close()
    wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
elseif paths_file ~= "" then
    for line in io.lines(paths_file) do
        if line ~= "" then
            paths[#paths + 1] = line
        end
    end
    request = function()
        return wrk.format("GET", paths[math.random(1, #paths)])
    end
elseif prefix ~= "" and max > 0 then
    request = function()
        return wrk.format("GET", prefix .. math.random(1, max))
    end
end

done = function(summary, latency, requests)
    for _, p in ipairs({ 50, 95, 99 }) do
        io.write(string.format("p%d %.2f\n", p, latency:percentile(p) / 1000))
    end
end
