-- claim.lua: joins or reports the session of one video, or creates a new one.
-- KEYS[1] lock, KEYS[2] fence, KEYS[3] latest (of the video);
-- KEYS[4] hash, KEYS[5] event stream, KEYS[6] channel (of the session to create);
-- KEYS[7] the lease-deadline index, KEYS[8] the queue of queued sessions, KEYS[9] the
--         session index (each the video's shard's, so every key is in one slot).
-- ARGV[1] the video's key base "<prefix>:{<shard>}:<tag>:"; the hash of an existing session is
--         derived from it as "<base>s:<id>" (same hash tag, so the same cluster slot),
-- ARGV[2] new session id, ARGV[3] canonical video path, ARGV[4] owner,
-- ARGV[5] force ("1" or "0"), ARGV[6] initial status ("queued" or "processing"),
-- ARGV[7] lease TTL in ms, ARGV[8] tail of the new session's processing_started event.
-- Returns {outcome, token, HGETALL of the session}, outcome being:
--   "running"  the lock is live (an empty hash if the lock is malformed), or the latest
--              session is queued/processing with no lock: its owner is gone, and only
--              take_over.lua may give it a new one (token 0 either way),
--   "finished" the latest session is complete and force is "0" (token 0),
--   "created"  a new session with seq 1 = processing_started, recorded (with the new
--              token as the writer's) and published.
-- Guarantees: atomic; only "created" writes anything; at most one lock per video; the
-- lock taken carries a fresh fencing token (INCR fence), so a previous owner's writes
-- are refused; the new session enters the lease index with deadline now + TTL, the
-- session index with its creation time, and a queued one the queue, scored likewise.
local base = ARGV[1]
local lock = redis.call('GET', KEYS[1])
if lock then
  local id = string.match(lock, '^%d+:(.+)$')
  if not id then return {'running', 0, {}} end
  return {'running', 0, redis.call('HGETALL', base .. 's:' .. id)}
end

local latest = redis.call('GET', KEYS[3])
if latest then
  local hash = base .. 's:' .. latest
  local status = redis.call('HGET', hash, 'status')
  if status == 'complete' and ARGV[5] ~= '1' then
    return {'finished', 0, redis.call('HGETALL', hash)}
  end
  if status == 'queued' or status == 'processing' then
    return {'running', 0, redis.call('HGETALL', hash)}
  end
end

local id, now = ARGV[2], now_ms()
-- INCR below gives exactly this token: nothing else runs in between.
local token = (tonumber(redis.call('GET', KEYS[2])) or 0) + 1
local payload = record(KEYS[5], 1, 'processing_started', '0.0', now, ARGV[8], token)
token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. id, 'PX', ARGV[7])
redis.call('HSET', KEYS[4], 'id', id, 'path', ARGV[3], 'status', ARGV[6], 'progress', '0.0',
  'seq', 1, 'token', token, 'owner', ARGV[4], 'created_ms', now, 'updated_ms', now)
redis.call('SET', KEYS[3], id)
lease_deadline(KEYS[7], id, now, ARGV[7])
redis.call('ZADD', KEYS[9], tonumber(now), id)
if ARGV[6] == 'queued' then redis.call('ZADD', KEYS[8], tonumber(now), id) end
publish(KEYS[6], 1, 'processing_started', payload)
return {'created', token, redis.call('HGETALL', KEYS[4])}
