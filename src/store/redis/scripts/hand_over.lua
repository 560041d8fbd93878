-- hand_over.lua: gives a live lease up so that another instance continues at once.
-- KEYS[1] the video's lock, KEYS[2] the lease-deadline index (the video's shard's).
-- ARGV[1] the lease, "<token>:<session id>"; ARGV[2] the session id; ARGV[3] the
-- shard's hand-over channel (in the script's slot, as sharded pub/sub requires).
-- Returns 1 when the lock held exactly ARGV[1]: it is deleted, the session's deadline
-- in the index is 0 (expired before any other) and its id is published on ARGV[3];
-- else 0, and nothing changed.
-- Guarantees: atomic; the fence is not moved: the lease's token stays the video's
-- latest, but with no lock every write under it is fenced, and the next owner's
-- takeover supersedes it.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call(PUBLISH, ARGV[3], ARGV[2])
return 1
