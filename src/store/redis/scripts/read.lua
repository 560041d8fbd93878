-- read.lua: a page of a session's events (read-only).
-- KEYS[1] the session's event stream, KEYS[2] its hash.
-- ARGV[1] the first seq wanted, ARGV[2] the most entries to return.
-- Returns {entries, first, last}: entries as XRANGE gives them ({"<seq>-0", {k, name,
-- d, payload, t, ts}}), first the oldest retained entry's ID ("" when none), last the
-- session's seq (0 when unknown). One consistent view: nothing runs in between.
-- (XRANGE with COUNT 0 answers nil, hence the `or {}`.)
local entries = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2]) or {}
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local first = ''
if oldest then first = oldest[1] end
return {entries, first, redis.call('HGET', KEYS[2], 'seq') or 0}
