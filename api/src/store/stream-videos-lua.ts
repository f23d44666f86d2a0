import { ID_PLACEHOLDER } from './redis-keys.js';

/**
 * Lua for the scripts that delete a stream (stream-store.ts, user-store.ts): its videos' keys
 * (video:<uid>) are named only in the stream's index, so they are deleted through it, in the same
 * script, before the index itself goes. Done here rather than left to the origin's next report
 * (keep: false because the stream is gone): an origin that never reports again (replaced, its disk
 * lost) would otherwise leave them forever. No tombstone is needed: a report for a stream that
 * no longer exists answers keep: false by itself.
 *
 * Paste into a script's source; call `delete_videos(index_key, video_key_template)` with the
 * template videoKey(ID_PLACEHOLDER).
 */
export const DELETE_VIDEOS_LUA = `
local function delete_videos(index_key, video_key_template)
  for _, uid in ipairs(redis.call('ZRANGE', index_key, 0, -1)) do
    redis.call('DEL', (string.gsub(video_key_template, '${ID_PLACEHOLDER}', uid)))
  end
  redis.call('DEL', index_key)
end
`;
