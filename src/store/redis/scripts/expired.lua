-- expired.lua: a shard's sessions whose lease has run out by Redis's clock (read-only).
-- KEYS[1] the shard's lease-deadline index (the script touches nothing else).
-- ARGV[1] the most ids to return (at least 1).
-- Returns {id, deadline, id, deadline, ...} for the ids whose deadline is at or before
-- now (TIME, in ms), most overdue first (ties in id order).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[1])
