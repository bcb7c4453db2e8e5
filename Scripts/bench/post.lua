-- Sends the URL's request as a POST (login and other actions).
dofile("Scripts/bench/report.lua")
wrk.method = "POST"
