-- Likes and unlikes at random across the users and videos named in the environment.
dofile("Scripts/bench/report.lua")
local tokens = {}
for token in string.gmatch(os.getenv("BENCH_TOKENS") or "", "[^,]+") do tokens[#tokens + 1] = token end
local first = tonumber(os.getenv("BENCH_FIRST_VIDEO") or "1")
local last = tonumber(os.getenv("BENCH_LAST_VIDEO") or "1")
request = function()
    local token = tokens[math.random(1, #tokens)]
    return wrk.format("POST", string.format("/douyin/favorite/action/?video_id=%d&action_type=%d&token=%s",
        math.random(first, last), math.random(1, 2), token))
end
