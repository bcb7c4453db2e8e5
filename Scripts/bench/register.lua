-- Registers a new user per request (unique names per wrk thread).
local counter = 0
local prefix = string.format("b%d%d", os.time() % 100000, math.random(1, 1000000))
request = function()
    counter = counter + 1
    return wrk.format("POST", "/douyin/user/register/?username=" .. prefix .. "_" .. counter .. "&password=benchpass1")
end
