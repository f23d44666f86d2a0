/**
 * Lua for the lists the API promises "oldest first" (users, a user's tokens, a user's streams).
 * Each is a ZSET scored by creation time in unix ms; two items created in the same millisecond
 * (or by API instances whose clocks disagree) would tie and come back in member (random id)
 * order. So a new member always scores above the list's newest: its creation time, or one more
 * than the newest score when that is not earlier. The script runs atomically, so the order is the
 * order Redis saw the creations in, and lists stored with plain creation times keep their order.
 *
 * Paste into a script's source; call `add_newest(key, created_at_ms, member)`.
 */
export const ADD_NEWEST_LUA = `
local function add_newest(key, created_at_ms, member)
  local score = tonumber(created_at_ms)
  local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if newest[2] and tonumber(newest[2]) >= score then score = tonumber(newest[2]) + 1 end
  redis.call('ZADD', key, score, member)
end
`;
