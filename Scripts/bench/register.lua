-- Registers a new user per request; names are unique across wrk threads and runs.
dofile("Scripts/bench/report.lua")
local threads = 0
function setup(thread)
    threads = threads + 1
    thread:set("thread_id", threads)
end
local counter = 0
request = function()
    counter = counter + 1
    return wrk.format("POST", string.format("/douyin/user/register/?username=b%d_%d_%d&password=benchpass1",
        os.time() % 1000000, thread_id, counter))
end
