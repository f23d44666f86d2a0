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
      // LL-HLS segments spilled to disk (LowLatencyStream), an ABR rendition's too, one cut short by
      // the crash; DASH track segments as origins before 2026-12 spilled them.
      spilled: {
        'index.m3u8': '#EXTM3U\n',
        '1700000000000.m4s': 'x',
        '360p-1700000000000.m4s': 'x',
        '360p-1700000002000.m4s.tmp': 'x',
        'v-1700000000000-3.m4s': 'x',
        'a-1700000000000-3.m4s.tmp': 'x',
      },
      // Parts and init sections are never written to disk: not ours.
      part: { '1700000000000.0.m4s': 'x' },
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
  t.same(result.removed.sort(), [join(hlsPath, 'also_ours'), join(hlsPath, 'golive'), join(hlsPath, 'spilled')]);
  t.same(result.kept.sort(), [join(hlsPath, 'empty'), join(hlsPath, 'mixed'), join(hlsPath, 'nested'), join(hlsPath, 'part')]);
  t.same((await readdir(hlsPath)).sort(), ['empty', 'linked', 'mixed', 'nested', 'not.a.stream', 'part', 'readme.txt']);
  t.ok(await exists(join(hlsPath, 'mixed', 'index.m3u8')), 'a kept folder is untouched');
  t.ok(await exists(join(root, 'elsewhere', '1.ts')), 'links are not followed');
});

t.test('a missing HLS_PATH is an empty sweep', async (t) => {
  const result = await sweepStaleStreamFolders(join(t.testdir(), 'missing'));
  t.same(result, { removed: [], kept: [] });
});
