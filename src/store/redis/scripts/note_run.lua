-- note_run.lua: appends a line to a session's run log under its owner's lease.
-- KEYS[1] the video's lock, KEYS[2] the session's run log (a list).
-- ARGV[1] the lease, "<token>:<session id>"; ARGV[2] the line; ARGV[3] the most lines
-- kept.
-- Returns 1 when the lock held exactly ARGV[1] and the line was added (older lines
-- beyond ARGV[3] dropped), else 0, and nothing changed.
-- Guarantees: atomic; only the current owner writes; the log ends together with its
-- session, since every terminal step puts the session's expiry on it too.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[3]), -1)
return 1
