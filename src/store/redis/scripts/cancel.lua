-- cancel.lua: ends a queued or processing session as cancelled, whoever owns it.
-- KEYS[1] the session's hash, KEYS[2] its event stream, KEYS[3] its channel,
-- KEYS[4] the video's lock, KEYS[5] its fence, KEYS[6] its latest pointer,
-- KEYS[7] the session's run log, KEYS[8] the lease-deadline index (the video's shard's).
-- ARGV[1] session id, ARGV[2] tail of the processing_cancelled event,
-- ARGV[3] retained events, ARGV[4] retained ms, ARGV[5] TTL in ms of an ended session.
-- Returns {"cancelled", seq, progress, ts}, {"ended", HGETALL} when already terminal,
-- {"unknown"} without a session hash, or {"corrupt"} when its seq is unreadable.
-- Guarantees: atomic; the fence moves on and the session's lock (if it holds it) is
-- deleted, so the owner's next write is fenced; progress is kept; the event is seq + 1,
-- recorded under the moved-on fence as its writer token; the session leaves the index.
local id = ARGV[1]
local stored = redis.call('HMGET', KEYS[1], 'seq', 'progress', 'status')
local status = stored[3]
if not status then return {'unknown'} end
if status ~= 'queued' and status ~= 'processing' then
  return {'ended', redis.call('HGETALL', KEYS[1])}
end
local seq = tonumber(stored[1])
if not seq then return {'corrupt'} end

seq = seq + 1
local progress, now = stored[2], now_ms()
if not tonumber(progress) then progress = '0.0' end
local token = redis.call('INCR', KEYS[5])
local payload = record(KEYS[2], seq, 'processing_cancelled', progress, now, ARGV[2], token)
local lock = redis.call('GET', KEYS[4])
if lock and string.sub(lock, -(#id + 1)) == ':' .. id then redis.call('DEL', KEYS[4]) end
redis.call('HSET', KEYS[1], 'seq', seq, 'progress', progress, 'status', 'cancelled',
  'updated_ms', now)
trim(KEYS[2], seq, tonumber(ARGV[3]), tonumber(ARGV[4]), now)
expire_ended(KEYS[1], KEYS[2], KEYS[7], KEYS[6], KEYS[8], id, ARGV[5])
publish(KEYS[3], seq, 'processing_cancelled', payload)
return {'cancelled', seq, progress, now}
