import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { withSecretFiles } from '../src/secret-files.js';

t.test('a secret given as <NAME>_FILE is read from that file', async (t) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'secret-files-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const tokenFile = path.join(dir, 'internal-token');
  const emptyFile = path.join(dir, 'internal-token-previous');
  await writeFile(tokenFile, 'a'.repeat(64) + '\n', { mode: 0o600 });
  await writeFile(emptyFile, '', { mode: 0o600 });

  const env = withSecretFiles({ INTERNAL_TOKEN_FILE: tokenFile, INTERNAL_TOKEN_PREVIOUS_FILE: emptyFile, API_PORT: '9090' });
  t.equal(env.INTERNAL_TOKEN, 'a'.repeat(64), 'the content, without its trailing newline');
  t.notOk('INTERNAL_TOKEN_PREVIOUS' in env, 'an empty file leaves the setting unset');
  t.equal(env.API_PORT, '9090', 'other settings pass through');
  t.same(withSecretFiles({ ADMIN_TOKEN: 'adm_given-as-a-value' }), { ADMIN_TOKEN: 'adm_given-as-a-value' }, 'a value in the environment is kept as it is');
  t.same(withSecretFiles({ ADMIN_TOKEN_FILE: '' }), { ADMIN_TOKEN_FILE: '' }, 'an empty _FILE setting is unset');

  const both = t.throws(() => withSecretFiles({ INTERNAL_TOKEN: 'b'.repeat(64), INTERNAL_TOKEN_FILE: tokenFile })) as Error;
  t.match(both, { code: 'LIVE_ERR_SETTING', message: /INTERNAL_TOKEN_FILE=".*internal-token" is invalid: expected unset while INTERNAL_TOKEN is set/ }, 'both: an error');
  t.notMatch(both.message, 'b'.repeat(64), 'that never quotes the value');

  const missing = t.throws(() => withSecretFiles({ ORIGIN_SECRET_FILE: path.join(dir, 'nothing-here') })) as Error;
  t.match(missing.message, /ORIGIN_SECRET_FILE=".*nothing-here" is invalid: expected a file this user can read \(ENOENT\)/, 'a missing file: an error naming it');
  const error = t.throws(() => withSecretFiles({ ORIGIN_SECRET_FILE: dir })) as Error;
  t.match(error.message, /ORIGIN_SECRET_FILE=.* is invalid: expected a file this user can read \(EISDIR\)/, 'a directory: an error naming it');
});
