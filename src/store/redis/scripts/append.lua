-- append.lua: records and publishes a session's next event under its owner's lease.
-- KEYS[1] the video's lock, KEYS[2] the session's hash, KEYS[3] its event stream,
-- KEYS[4] its channel, KEYS[5] the video's latest pointer, KEYS[6] the session's run
-- log, KEYS[7] the lease-deadline index (the video's shard's).
-- ARGV[1] session id, ARGV[2] lease token, ARGV[3] event name, ARGV[4] status,
-- ARGV[5] progress (a JSON number), ARGV[6] event tail, ARGV[7] terminal ("1" or "0"),
-- ARGV[8] retained events, ARGV[9] retained ms, ARGV[10] TTL in ms of an ended session,
-- ARGV[11..] further hash fields to set, as field/value pairs (checkpoint, result,
-- error_code, error_message).
-- Returns {"ok", seq, progress, ts} (progress as written, ts a decimal string),
-- {"fenced"} when the lock is not "<token>:<id>", or {"missing"} without a session hash.
-- Guarantees: atomic, and nothing is written unless the lease is current; seq is the
-- stored seq + 1 (no gaps); progress is the larger of the stored and the given one;
-- the entry records the lease token as its writer's; a terminal event also releases
-- the lock, drops the session from the index and starts the ended session's expiry.
local id = ARGV[1]
if redis.call('GET', KEYS[1]) ~= ARGV[2] .. ':' .. id then return {'fenced'} end
local stored = redis.call('HMGET', KEYS[2], 'seq', 'progress')
local seq = tonumber(stored[1])
if not seq then return {'missing'} end

seq = seq + 1
local kind, progress, now = ARGV[3], ARGV[5], now_ms()
if (tonumber(stored[2]) or 0) > (tonumber(progress) or 0) then progress = stored[2] end
local payload = record(KEYS[3], seq, kind, progress, now, ARGV[6], ARGV[2])
redis.call('HSET', KEYS[2], 'seq', seq, 'progress', progress, 'status', ARGV[4],
  'updated_ms', now, unpack(ARGV, 11))
trim(KEYS[3], seq, tonumber(ARGV[8]), tonumber(ARGV[9]), now)
if ARGV[7] == '1' then
  redis.call('DEL', KEYS[1])
  expire_ended(KEYS[2], KEYS[3], KEYS[6], KEYS[5], KEYS[7], id, ARGV[10])
end
publish(KEYS[4], seq, kind, payload)
return {'ok', seq, progress, now}
