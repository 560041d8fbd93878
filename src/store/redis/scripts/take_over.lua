-- take_over.lua: gives a queued or processing session whose lease ran out to a new
-- owner, or ends it as failed once too many owners have lost it.
-- KEYS[1] the video's lock, KEYS[2] its fence, KEYS[3] its latest pointer,
-- KEYS[4] the session's hash, KEYS[5] its event stream, KEYS[6] its channel,
-- KEYS[7] its run log, KEYS[8] the lease-deadline index (the video's shard's).
-- ARGV[1] session id, ARGV[2] new owner, ARGV[3] lease TTL in ms, ARGV[4] most
-- takeovers allowed, ARGV[5] tail of the processing_error event that ends a session
-- given up on, ARGV[6] its error code, ARGV[7] its error message, ARGV[8] retained
-- events, ARGV[9] retained ms, ARGV[10] TTL in ms of an ended session.
-- Returns one of:
--   {"taken", token, HGETALL}      the lease is the new owner's, under a fresh token;
--   {"gave_up", seq, progress, ts} the session was taken over ARGV[4] times already
--                                  and is now failed, with this event;
--   {"not_needed"}                 no hash, or it ended (it leaves the index), or the
--                                  video's lock is live (its deadline is re-indexed);
--   {"corrupt"}                    the stored seq is unreadable, or the session is to be
--                                  given up on but ARGV[5] is empty (the caller found
--                                  no session to render it for); nothing changed.
-- Guarantees: atomic; a takeover happens only while no lock exists, counts itself in
-- the hash's `takeovers`, moves the fence on (so every earlier owner is fenced) and
-- indexes the new deadline, now + TTL; giving up is exactly a terminal append by no
-- lease: event seq + 1 with progress kept, written under a fresh fencing token (so
-- writer tokens along the stream never go down), error fields set,
-- published, the session expiring as ended and out of the index.
local id = ARGV[1]
local stored = redis.call('HMGET', KEYS[4], 'seq', 'progress', 'status', 'takeovers')
local status = stored[3]
if status ~= 'queued' and status ~= 'processing' then
  redis.call('ZREM', KEYS[8], id)
  return {'not_needed'}
end
local now = now_ms()
local pttl = redis.call('PTTL', KEYS[1])
if pttl ~= -2 then
  if pttl < 0 then pttl = ARGV[3] end
  lease_deadline(KEYS[8], id, now, pttl)
  return {'not_needed'}
end
local seq = tonumber(stored[1])
if not seq then return {'corrupt'} end

if (tonumber(stored[4]) or 0) >= tonumber(ARGV[4]) then
  if ARGV[5] == '' then return {'corrupt'} end
  seq = seq + 1
  local progress = stored[2]
  if not tonumber(progress) then progress = '0.0' end
  local token = redis.call('INCR', KEYS[2])
  local payload = record(KEYS[5], seq, 'processing_error', progress, now, ARGV[5], token)
  redis.call('HSET', KEYS[4], 'seq', seq, 'progress', progress, 'status', 'failed',
    'updated_ms', now, 'error_code', ARGV[6], 'error_message', ARGV[7])
  trim(KEYS[5], seq, tonumber(ARGV[8]), tonumber(ARGV[9]), now)
  expire_ended(KEYS[4], KEYS[5], KEYS[7], KEYS[3], KEYS[8], id, ARGV[10])
  publish(KEYS[6], seq, 'processing_error', payload)
  return {'gave_up', seq, progress, now}
end

redis.call('HINCRBY', KEYS[4], 'takeovers', 1)
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. id, 'PX', ARGV[3])
redis.call('HSET', KEYS[4], 'token', token, 'owner', ARGV[2], 'updated_ms', now)
lease_deadline(KEYS[8], id, now, ARGV[3])
return {'taken', token, redis.call('HGETALL', KEYS[4])}
