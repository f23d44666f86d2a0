/**
 * docker-compose's secrets, as its services meet them (no Docker engine here): the secrets service's
 * script makes the files once, owner-only; every service's `<NAME>_FILE` in docker-compose.yml
 * names a file it makes, in the volume the service mounts, after the secrets service has finished;
 * and each service's own settings reader, given that environment, starts with the same internal
 * token, edges' secret and playback signing key as the services it talks to. A rotation is a value
 * in the `-previous` file.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { readApiSettings } from '../api/src/settings.js';
import { readDiscoverySettings } from '../discovery/src/settings.js';
import { readEdgeSettings } from '../edge/src/settings.js';
import { readOriginSettings } from '../origin/src/settings.js';
import { withSecretFiles, type Env } from '../service-kit/src/index.js';
import { repoRoot } from '../test-support/repo-root.js';

const execFileAsync = promisify(execFile);
const SECRETS_MOUNT = '/run/livestack-secrets';

interface ComposeService {
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  command?: string[];
}

async function composeServices(): Promise<Record<string, ComposeService>> {
  const text = await readFile(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
  return (parse(text, { merge: true }) as { services: Record<string, ComposeService> }).services;
}

/** A service's environment as it would run: the secrets volume at `dir`, other ${…} defaults taken. */
function environmentOf(service: ComposeService, dir: string, extra: Env = {}): Env {
  const env: Env = {};
  for (const [name, value] of Object.entries(service.environment ?? {})) {
    const withDefaults = String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
    env[name] = withDefaults.startsWith(`${SECRETS_MOUNT}/`) ? path.join(dir, withDefaults.slice(SECRETS_MOUNT.length + 1)) : withDefaults;
  }
  // Writable places of the containers, here.
  return { ...env, HLS_PATH: path.join(dir, 'hls'), RECORDINGS_PATH: path.join(dir, 'recordings'), FALLBACK_PATH: path.join(dir, 'fallback'), FALLBACK_CACHE_PATH: path.join(dir, 'fallback-cache'), ...extra };
}

t.test('docker-compose: the secrets are made on the first start and every service reads the same ones', async (t) => {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'compose-secrets-'));
  t.teardown(() => rm(scratch, { recursive: true, force: true }));
  const dir = path.join(scratch, 'secrets');
  const services = await composeServices();

  // The secrets service's command, run here into `dir` (the chown is the container's user).
  const command = services.secrets?.command?.at(-1) ?? '';
  t.match(command, /^bash scripts\/make-secrets\.sh \/secrets --rotation-files && /, 'the secrets service runs make-secrets.sh');
  const makeSecrets = () => execFileAsync('bash', [path.join(repoRoot, 'scripts/make-secrets.sh'), dir, '--rotation-files']);
  await makeSecrets();
  t.equal((await stat(dir)).mode & 0o777, 0o700, 'the directory is owner-only');
  const names = ['admin-token', 'internal-token', 'playback-signing-key', 'origin-secret'];
  const first: Record<string, string> = {};
  for (const name of names) {
    t.equal((await stat(path.join(dir, name))).mode & 0o777, 0o600, `${name} is owner-only`);
    first[name] = await readFile(path.join(dir, name), 'utf8');
    t.ok(first[name]!.length >= 32, `${name} is a long random secret`);
    t.equal(await readFile(path.join(dir, `${name}-previous`), 'utf8'), '', `${name}-previous is empty: no rotation`);
  }
  t.equal(new Set(Object.values(first)).size, names.length, 'four different secrets');
  await makeSecrets();
  for (const name of names) t.equal(await readFile(path.join(dir, name), 'utf8'), first[name], `a later start keeps ${name}`);

  // Every secret file a service reads is one the secrets service made, in the volume it mounts, after it finished.
  const readers = Object.entries(services).filter(([, service]) => Object.keys(service.environment ?? {}).some((name) => name.endsWith('_FILE')));
  t.same(readers.map(([name]) => name).sort(), ['api-1', 'api-2', 'discovery-1', 'discovery-2', 'edge-1', 'edge-2', 'origin-1', 'origin-2'], 'every service reads its secrets from files');
  for (const [name, service] of readers) {
    t.ok(service.volumes?.includes(`secrets:${SECRETS_MOUNT}:ro`), `${name} mounts the secrets volume read-only`);
    const after = Array.isArray(service.depends_on) ? undefined : service.depends_on?.secrets?.condition;
    const viaOrigin = Array.isArray(service.depends_on) && service.depends_on.some((dependency) => services[dependency]?.depends_on && !Array.isArray(services[dependency]!.depends_on) && (services[dependency]!.depends_on as Record<string, { condition: string }>).secrets);
    t.ok(after === 'service_completed_successfully' || viaOrigin, `${name} starts after the secrets are made`);
    for (const [setting, value] of Object.entries(service.environment ?? {})) {
      if (!setting.endsWith('_FILE')) continue;
      t.match(value, new RegExp(`^${SECRETS_MOUNT}/[a-z-]+$`), `${name}'s ${setting} is in the volume`);
      await t.resolves(stat(path.join(dir, value.slice(SECRETS_MOUNT.length + 1))), `${name}'s ${setting} is made by the secrets service`);
    }
  }

  // Each service's settings, as it starts, from those files.
  const api = readApiSettings(withSecretFiles(environmentOf(services['api-1']!, dir)));
  const origin = readOriginSettings(withSecretFiles(environmentOf(services['origin-1']!, dir)));
  const discovery = readDiscoverySettings(withSecretFiles(environmentOf(services['discovery-1']!, dir)));
  const edge = readEdgeSettings(withSecretFiles(environmentOf(services['edge-1']!, dir)));
  t.equal(api.adminToken, first['admin-token'], 'the API has the admin token');
  t.equal(api.previousAdminToken, undefined, 'and no previous one');
  t.same([origin.internalToken, discovery.internalToken, edge.internalToken], [api.internalToken, api.internalToken, api.internalToken], 'one internal token everywhere');
  t.equal(api.internalToken, first['internal-token']);
  t.same(origin.originSecrets, [first['origin-secret']], 'the origins require the edges\' secret, and only it');
  t.equal(edge.originSecret, first['origin-secret'], 'which the edges send');
  t.same([api.playbackSigningKey, edge.playbackSigningKey], [first['playback-signing-key'], first['playback-signing-key']], 'one playback signing key for the API and the edges');
  t.equal(edge.previousPlaybackSigningKey, undefined);

  // A rotation: the new value in the file, the old one in -previous; both are accepted.
  const newAdmin = 'adm_the-rotated-admin-token-0123';
  await writeFile(path.join(dir, 'admin-token-previous'), first['admin-token']!);
  await writeFile(path.join(dir, 'admin-token'), `${newAdmin}\n`);
  await writeFile(path.join(dir, 'origin-secret-previous'), first['origin-secret']!);
  await writeFile(path.join(dir, 'origin-secret'), 'the-new-origin-secret-0123456789abcdef');
  const rotatingApi = readApiSettings(withSecretFiles(environmentOf(services['api-2']!, dir)));
  t.same([rotatingApi.adminToken, rotatingApi.previousAdminToken], [newAdmin, first['admin-token']], 'mid-rotation the API takes both admin tokens');
  const rotatingOrigin = readOriginSettings(withSecretFiles(environmentOf(services['origin-2']!, dir)));
  t.same(rotatingOrigin.originSecrets, ['the-new-origin-secret-0123456789abcdef', first['origin-secret']], 'and an origin both edges\' secrets');
});
