-- bench/load.lua: the wrk script of bench/load.sh. One request kind per run (LOAD_KIND), or
-- a mix of them (LOAD_KIND=mix, weights in LOAD_MIX), each request drawn at random:
--   figures  GET /figures (public figures and the chart)
--   person   GET /persons/{random id in 1..LOAD_PERSONS} (an audited read)
--   persons  GET /persons, or a page in the middle (?before=random id)
--   events   GET /events, or a page in the middle (?before=random id)
--   search   GET /search?q={a random line of LOAD_QUERIES} (an audited read)
--   post     POST /events: a new detention of a random person (CSRF token LOAD_CSRF), which
--            must answer 303 to /events/{id}
-- The session cookie comes from wrk's command line (-H "Cookie: ...").
--
-- An answer counts as an error unless it is 200 to a GET or 303 to /events/{id} to a POST
-- (a 303 to /login means the session was lost). Each thread stops after LOAD_MAX requests,
-- so a run is bounded in count as well as in time (wrk -d). `done` prints p50/p95/p99 in ms,
-- the answers counted and the errors, with the first bad status seen.
local kind = os.getenv("LOAD_KIND") or "mix"
local persons = tonumber(os.getenv("LOAD_PERSONS") or "1") or 1
local events = tonumber(os.getenv("LOAD_EVENTS") or "1") or 1
local csrf = os.getenv("LOAD_CSRF") or ""
local max = tonumber(os.getenv("LOAD_MAX") or "1000000") or 1000000
local mix_spec = os.getenv("LOAD_MIX") or "person:30,persons:10,events:10,search:15,figures:25,post:10"

local queries = {}
local queries_file = os.getenv("LOAD_QUERIES") or ""
if queries_file ~= "" then
    for line in io.lines(queries_file) do
        if line ~= "" then
            queries[#queries + 1] = line
        end
    end
end

local mix = {}
local total_weight = 0
for name, weight in string.gmatch(mix_spec, "(%a+):(%d+)") do
    total_weight = total_weight + tonumber(weight)
    mix[#mix + 1] = { name = name, upto = total_weight }
end

local regions = { "minsk-city", "brest", "vitebsk", "gomel", "grodno", "minsk-region", "mogilev" }

local function form(fields)
    local parts = {}
    for _, kv in ipairs(fields) do
        parts[#parts + 1] = kv[1] .. "=" .. kv[2]
    end
    return table.concat(parts, "&")
end

local builders = {
    figures = function()
        return wrk.format("GET", "/figures")
    end,
    person = function()
        return wrk.format("GET", "/persons/" .. math.random(1, persons))
    end,
    persons = function()
        if math.random() < 0.5 then
            return wrk.format("GET", "/persons")
        end
        return wrk.format("GET", "/persons?before=" .. math.random(2, persons))
    end,
    events = function()
        if math.random() < 0.5 then
            return wrk.format("GET", "/events")
        end
        return wrk.format("GET", "/events?before=" .. math.random(2, events))
    end,
    search = function()
        return wrk.format("GET", "/search?q=" .. queries[math.random(1, #queries)])
    end,
    post = function()
        local body = form({
            { "csrf", csrf },
            { "kind", "detention" },
            { "date", string.format("2025-%02d-%02d", math.random(1, 12), math.random(1, 28)) },
            { "persons", string.format("P-%06d", math.random(1, persons)) },
            { "region", regions[math.random(1, #regions)] },
            { "facility", "%D0%86%D0%A7%D0%A3" },
            { "description", "load+test" },
            { "confidentiality", "internal" },
        })
        -- wrk.format takes the headers given instead of wrk's own (the cookie): both here.
        local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
        for k, v in pairs(wrk.headers) do
            headers[k] = v
        end
        return wrk.format("POST", "/events", headers, body)
    end,
}

local threads = {}

function setup(thread)
    threads[#threads + 1] = thread
end

function init(args)
    sent = 0
    answered = 0
    bad = 0
    first_bad = ""
end

function request()
    sent = sent + 1
    if kind ~= "mix" then
        return builders[kind]()
    end
    local at = math.random(1, total_weight)
    for _, m in ipairs(mix) do
        if at <= m.upto then
            return builders[m.name]()
        end
    end
    return builders.figures()
end

function response(status, headers, body)
    answered = answered + 1
    local ok = status == 200
    if status == 303 then
        local location = headers["Location"] or headers["location"] or ""
        ok = string.find(location, "^/events/%d+$") ~= nil
        if not ok and first_bad == "" then
            first_bad = "303 to " .. location
        end
    elseif not ok and first_bad == "" then
        first_bad = tostring(status)
    end
    if not ok then
        bad = bad + 1
    end
    if answered >= max then
        wrk.thread:stop()
    end
end

function done(summary, latency, requests)
    for _, p in ipairs({ 50, 95, 99 }) do
        io.write(string.format("p%d %.2f\n", p, latency:percentile(p) / 1000))
    end
    local answered_all, bad_all, first = 0, 0, ""
    for _, t in ipairs(threads) do
        answered_all = answered_all + (t:get("answered") or 0)
        bad_all = bad_all + (t:get("bad") or 0)
        local f = t:get("first_bad") or ""
        if first == "" then
            first = f
        end
    end
    io.write(string.format("mean %.3f\n", latency.mean / 1000))
    io.write(string.format("answered %d\n", answered_all))
    io.write(string.format("bad %d %s\n", bad_all, first))
    io.write(string.format("socket_errors %d\n",
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
