-- renew.lua: extends a lease that is still ours.
-- KEYS[1] the video's lock, KEYS[2] the lease-deadline index (the video's shard's).
-- ARGV[1] the lease, "<token>:<session id>"; ARGV[2] TTL in ms; ARGV[3] the session id.
-- Returns 1 when the lock held exactly ARGV[1] and now expires in ARGV[2] ms, with the
-- session's deadline in the index moved to match, else 0 (and changes nothing).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  lease_deadline(KEYS[2], ARGV[3], now_ms(), ARGV[2])
  return 1
end
return 0
