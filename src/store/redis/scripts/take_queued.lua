-- take_queued.lua: gives a session waiting in the queue to an instance with a free slot.
-- KEYS[1] the video's lock, KEYS[2] its fence, KEYS[3] the session's hash, KEYS[4] the
-- queue, KEYS[5] the lease-deadline index (both the video's shard's).
-- ARGV[1] session id, ARGV[2] new owner, ARGV[3] lease TTL in ms.
-- Returns {"taken", token, HGETALL} when the session was still queued, {"gone"} when
-- another instance took it first, or {"stale"} when it is no longer queued (it started
-- on its claimer, or ended); either way it has left the queue.
-- Guarantees: atomic; the fence moves on, so the claimer's lease (if it still holds
-- it) is fenced; the lock and the index carry the new lease, deadline now + TTL.
local id = ARGV[1]
if redis.call('ZREM', KEYS[4], id) == 0 then return {'gone'} end
if redis.call('HGET', KEYS[3], 'status') ~= 'queued' then return {'stale'} end
local now = now_ms()
local token = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], token .. ':' .. id, 'PX', ARGV[3])
redis.call('HSET', KEYS[3], 'token', token, 'owner', ARGV[2], 'updated_ms', now)
lease_deadline(KEYS[5], id, now, ARGV[3])
return {'taken', token, redis.call('HGETALL', KEYS[3])}
