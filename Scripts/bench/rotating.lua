-- Requests with a rotating viewer: each request picks a random line "user_id:token"
-- of BENCH_VIEWERS and fills the placeholders of BENCH_PATH:
--   {token}  that viewer's token        {viewer} that viewer's user id
--   {author} a random id of BENCH_AUTHORS (comma separated)
--   {video}  a random id in BENCH_FIRST_VIDEO..BENCH_LAST_VIDEO
--   {n}      a request counter (distinct message texts)
--   {action} 1 or 2 at random (like or unlike)
-- BENCH_METHOD is GET (default) or POST. Every answer's body is checked for
-- "status_code":0; the ones without count as errors in the RESULT line.
local viewers = {}
local authors = {}
local path = os.getenv("BENCH_PATH") or "/"
local method = os.getenv("BENCH_METHOD") or "GET"
local first = tonumber(os.getenv("BENCH_FIRST_VIDEO") or "1")
local last = tonumber(os.getenv("BENCH_LAST_VIDEO") or "1")
local counter = 0
bad = 0

for line in io.lines(os.getenv("BENCH_VIEWERS")) do
    local id, token = string.match(line, "^(%d+):(.+)$")
    if id then viewers[#viewers + 1] = { id = id, token = token } end
end
for id in string.gmatch(os.getenv("BENCH_AUTHORS") or "", "%d+") do authors[#authors + 1] = id end

local threads = {}
setup = function(thread)
    thread:set("id", #threads + 1)
    threads[#threads + 1] = thread
end

init = function()
    math.randomseed(os.time() * 100 + (id or 0))
end

request = function()
    local viewer = viewers[math.random(1, #viewers)]
    counter = counter + 1
    local target = path:gsub("{token}", viewer.token):gsub("{viewer}", viewer.id)
        :gsub("{video}", function() return tostring(math.random(first, last)) end)
        :gsub("{author}", function() return authors[math.random(1, math.max(#authors, 1))] or "0" end)
        :gsub("{n}", tostring(counter))
        :gsub("{action}", function() return tostring(math.random(1, 2)) end)
    return wrk.format(method, target)
end

response = function(status, headers, body)
    if status ~= 200 or not string.find(body, '"status_code":0', 1, true) then bad = bad + 1 end
end

done = function(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local unchecked = 0
    for _, thread in ipairs(threads) do unchecked = unchecked + (thread:get("bad") or 0) end
    local errors = summary.errors.connect + summary.errors.read + summary.errors.write
        + summary.errors.status + summary.errors.timeout + unchecked
    io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n", (summary.requests - unchecked) / seconds,
        latency:percentile(50) / 1000, latency:percentile(99) / 1000, errors, summary.requests))
end
