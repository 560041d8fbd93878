-- read.lua: a page of a session's events (read-only).
-- KEYS[1] the session's event stream, KEYS[2] its hash.
-- ARGV[1] the first seq wanted, ARGV[2] the most entries to return.
-- Returns {events, first, last}: events each as "<seq> <name> <payload>" (as published),
-- first the oldest retained seq (0 when none), last the session's seq (0 when
-- unknown). One consistent view: nothing runs in between. (XRANGE with COUNT 0
-- answers nil, hence the `or {}`.)
local entries = redis.call('XRANGE', KEYS[1], ARGV[1] .. '-0', '+', 'COUNT', ARGV[2]) or {}
local events = {}
for i, entry in ipairs(entries) do
  local fields, kind, data = entry[2], nil, nil
  for j = 1, #fields - 1, 2 do
    if fields[j] == 'k' then kind = fields[j + 1] elseif fields[j] == 'd' then data = fields[j + 1] end
  end
  events[i] = string.match(entry[1], '^%d+') .. ' ' .. (kind or '') .. ' ' .. (data or '')
end
local oldest = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)[1]
local first = 0
if oldest then first = tonumber(string.match(oldest[1], '^%d+')) end
return {events, first, tonumber(redis.call('HGET', KEYS[2], 'seq') or 0)}
