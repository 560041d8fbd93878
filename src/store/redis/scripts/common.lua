-- common.lua: helpers prepended to every script that writes events or lease deadlines
-- (see scripts.rs), so each is still one script run atomically. No KEYS/ARGV of its
-- own: every function takes the keys it touches, which its caller received in KEYS.
-- PUBLISH, set by the line scripts.rs puts first, is the publishing command: PUBLISH on
-- a single Redis, SPUBLISH (sharded pub/sub, the channel in the script's slot) on a
-- Redis Cluster.

-- Redis server time in ms since the Unix epoch, as a decimal string.
local function now_ms()
  local t = redis.call('TIME')
  return t[1] .. string.format('%03d', math.floor(tonumber(t[2]) / 1000))
end

-- Adds event `seq` to `stream` as entry "<seq>-0" with fields k (event name),
-- d (payload), t (ts) and o (the writer's fencing token; 0 for a write made under no
-- lease, such as a cancel), and returns the payload. It is the first write of its
-- caller: if the entry cannot be added (its ID is not new), nothing has been written yet.
local function record(stream, seq, kind, progress, ts, tail, token)
  local payload = '{"seq":' .. seq .. ',"progress":' .. progress .. ',"ts":' .. ts .. ',' .. tail
  redis.call('XADD', stream, seq .. '-0', 'k', kind, 'd', payload, 't', ts, 'o', token)
  return payload
end

-- Sets session `id`'s score in its shard's lease-deadline `index` to `now` + `ms`.
local function lease_deadline(index, id, now, ms)
  redis.call('ZADD', index, tonumber(now) + tonumber(ms), id)
end

-- Publishes a recorded event on the session's channel as "<seq> <name> <payload>".
local function publish(channel, seq, kind, payload)
  redis.call(PUBLISH, channel, seq .. ' ' .. kind .. ' ' .. payload)
end

-- After event `seq` was added: drops every event before the last `keep` once event
-- seq-keep is older than `ms`, so both the last `keep` events and every event younger
-- than `ms` stay (events are in ts order, so older ones are older still).
local function trim(stream, seq, keep, ms, now)
  if seq <= keep then return end
  local edge = (seq - keep) .. '-0'
  local entry = redis.call('XRANGE', stream, edge, edge)[1]
  if not entry then return end
  local fields, ts = entry[2], nil
  for i = 1, #fields - 1, 2 do
    if fields[i] == 't' then ts = tonumber(fields[i + 1]) end
  end
  if ts and ts < tonumber(now) - ms then
    redis.call('XTRIM', stream, 'MINID', (seq - keep + 1) .. '-0')
  end
end

-- Keeps an ended session's hash, stream and run log, and the video's latest pointer
-- when it still names the session, for `ttl` ms more; drops the session from the
-- shard's lease-deadline `index`, since an ended session has no lease to take over.
local function expire_ended(hash, stream, log, latest, index, id, ttl)
  redis.call('PEXPIRE', hash, ttl)
  redis.call('PEXPIRE', stream, ttl)
  redis.call('PEXPIRE', log, ttl)
  if redis.call('GET', latest) == id then redis.call('PEXPIRE', latest, ttl) end
  redis.call('ZREM', index, id)
end
