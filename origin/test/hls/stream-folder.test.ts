import t from 'tap';
import { access, readdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepStaleStreamFolders } from '../../src/hls/stream-folder.js';

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

t.test('the start-up sweep removes only folders that hold nothing but our files', async (t) => {
  const root = t.testdir({
    // A folder outside HLS_PATH that a symbolic link inside points to.
    elsewhere: { '1.ts': 'x' },
    hls: {
      // Left by a previous run, including writes cut short by the crash.
      golive: { 'index.m3u8': '#EXTM3U\n', '7.ts': 'x', '8.ts': 'x', '9.ts.tmp': 'x', 'index.m3u8.tmp': '' },
      also_ours: { '1.ts': 'x' },
      // Someone else's files next to ours: not ours to delete.
      mixed: { 'index.m3u8': '#EXTM3U\n', 'notes.txt': 'keep me' },
      nested: { 'index.m3u8': '#EXTM3U\n', sub: { '1.ts': 'x' } },
      'not.a.stream': { 'index.m3u8': '#EXTM3U\n' },
      empty: {},
      'readme.txt': 'top-level file',
    },
  });
  const hlsPath = join(root, 'hls');
  await symlink(join(root, 'elsewhere'), join(hlsPath, 'linked'));

  const result = await sweepStaleStreamFolders(hlsPath);
  t.same(result.removed.sort(), [join(hlsPath, 'also_ours'), join(hlsPath, 'golive')]);
  t.same(result.kept.sort(), [join(hlsPath, 'empty'), join(hlsPath, 'mixed'), join(hlsPath, 'nested')]);
  t.same((await readdir(hlsPath)).sort(), ['empty', 'linked', 'mixed', 'nested', 'not.a.stream', 'readme.txt']);
  t.ok(await exists(join(hlsPath, 'mixed', 'index.m3u8')), 'a kept folder is untouched');
  t.ok(await exists(join(root, 'elsewhere', '1.ts')), 'links are not followed');
});

t.test('a missing HLS_PATH is an empty sweep', async (t) => {
  const result = await sweepStaleStreamFolders(join(t.testdir(), 'missing'));
  t.same(result, { removed: [], kept: [] });
});
