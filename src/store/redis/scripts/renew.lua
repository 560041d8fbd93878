-- renew.lua: extends a lease that is still ours.
-- KEYS[1] the video's lock. ARGV[1] the lease, "<token>:<session id>"; ARGV[2] TTL in ms.
-- Returns 1 when the lock held exactly ARGV[1] and now expires in ARGV[2] ms, else 0
-- (and changes nothing).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
