-- list.lua: a page of one shard's sessions, newest first.
-- KEYS[1] the shard's session index: a sorted set of session ids scored with their
--         creation time in ms (the session hashes are derived from the ids, in the
--         same slot).
-- ARGV[1] the shard's key start "<prefix>:{<shard>}:", ARGV[2] the status wanted ("" for any),
-- ARGV[3] the cursor's creation time ("+inf" for the first page), ARGV[4] the cursor's
--         id ("" for none), ARGV[5] the most sessions to return (at least 1),
-- ARGV[6] the most index entries to look at.
-- Returns {cursor score or "", cursor id or "", HGETALL of each session listed}: the
-- cursor is the last entry looked at when the page is full or the look-up budget is
-- spent, "" when the index holds nothing older. Index entries whose session has
-- expired are removed on the way.
local shard, want, max, after = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local limit, budget = tonumber(ARGV[5]), tonumber(ARGV[6])
local from = tonumber(max)
local reply = {'', ''}
local found, looked, offset = 0, 0, 0
while true do
  local batch = redis.call('ZREVRANGEBYSCORE', KEYS[1], max, '-inf', 'WITHSCORES',
    'LIMIT', offset, 64)
  if #batch == 0 then return reply end
  for i = 1, #batch, 2 do
    local id, score = batch[i], batch[i + 1]
    offset = offset + 1
    if not (after ~= '' and tonumber(score) == from and id >= after) then
      looked = looked + 1
      local fields = redis.call('HGETALL', shard .. string.sub(id, 1, 24) .. ':s:' .. id)
      if #fields == 0 then
        redis.call('ZREM', KEYS[1], id)
        offset = offset - 1
      else
        local status
        for f = 1, #fields, 2 do
          if fields[f] == 'status' then status = fields[f + 1] end
        end
        if want == '' or status == want then
          found = found + 1
          reply[#reply + 1] = fields
        end
      end
      if found >= limit or looked >= budget then
        reply[1], reply[2] = score, id
        return reply
      end
    end
  end
end
