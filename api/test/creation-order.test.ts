import t from 'tap';
import { Redis } from 'ioredis';
import { startRedisServer } from '../../test-support/redis-server.js';
import { RestreamTargetStore } from '../src/store/restream-target-store.js';
import { StreamStore } from '../src/store/stream-store.js';
import { TokenStore } from '../src/store/token-store.js';
import { UserStore } from '../src/store/user-store.js';

/**
 * Every list the API documents as "oldest first" keeps creation order when items are created in
 * the same millisecond (a frozen clock makes every creation tie) and when an API instance's clock
 * is behind another's (the clock steps back).
 */
t.test('listings are in creation order on a real redis-server', async (t) => {
  const server = await startRedisServer();
  const redis = new Redis(server.url);
  t.teardown(async () => {
    await redis.quit();
    await server.remove();
  });
  let now = 1_700_000_000_000;
  const clock = { now: () => now };
  const users = new UserStore(redis, clock);
  const tokens = new TokenStore(redis, clock);
  const streams = new StreamStore(redis, clock);
  const targets = new RestreamTargetStore(redis, clock);
  const secrets = { rtmp: 'rtmp-secret', srt: 'srt-secret' };
  const names = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];

  /** Creates one item per name, the clock frozen for the first half and stepping back for the rest. */
  async function createAll<T>(create: (name: string) => Promise<T>): Promise<T[]> {
    const created: T[] = [];
    for (const [index, name] of names.entries()) {
      if (index >= names.length / 2) now -= 1_000;
      created.push(await create(name));
    }
    now = 1_700_000_000_000;
    return created;
  }

  t.test('users', async (t) => {
    const created = await createAll((name) => users.create(name));
    t.same((await users.list()).map((user) => user.name), names);
    t.same(created.map((user) => user.createdAt.slice(0, 10)), created.map(() => '2023-11-14'), 'created_at is the clock');
  });

  t.test("a user's tokens", async (t) => {
    const user = await users.create('token-owner');
    await createAll(async (name) => tokens.create(user.id, name, 'a'.repeat(64), names.length));
    t.same((await tokens.list(user.id)).map((token) => token.name), names);
  });

  t.test("a user's streams, and the admin's (not a stored user)", async (t) => {
    const user = await users.create('stream-owner');
    await createAll(async (name) => streams.create(user.id, name, secrets, true, names.length));
    t.same((await streams.list(user.id)).map((stream) => stream.name), names);
    await createAll(async (name) => streams.create('admin', name, secrets, false, names.length));
    t.same((await streams.list('admin')).map((stream) => stream.name), names);
  });

  t.test("a stream's restream targets, also in one round trip for several streams", async (t) => {
    const user = await users.create('target-owner');
    const [first, second] = [await streams.create(user.id, 'a', secrets, true, 2), await streams.create(user.id, 'b', secrets, true, 2)];
    if (!first || !second) throw new Error('streams not created');
    const target = (name: string) => ({ name, platform: 'custom' as const, streamUrl: 'rtmp://1.2.3.1/app', enabled: true, retry: { attempts: 3, delayS: 2 } });
    await createAll((name) => targets.create(user.id, first.id, target(name), 'key', names.length));
    await createAll((name) => targets.create(user.id, second.id, target(name), 'key', names.length));
    t.same((await targets.list(first.id)).map((listed) => listed.name), names);
    const many = await targets.listMany([first.id, second.id]);
    t.same([...many.values()].map((list) => list.map((listed) => listed.name)), [names, names]);
    t.same((await targets.config(first.id))?.targets.map((listed) => listed.name), names, 'the origins get them in that order too');

    const [renamed] = await targets.list(first.id);
    await targets.update(user.id, first.id, renamed!.id, { name: 'renamed' }, undefined);
    t.same((await targets.list(first.id)).map((listed) => listed.name), ['renamed', ...names.slice(1)], 'an update keeps the place');
  });

  t.test('items deleted in between leave the order of the rest alone', async (t) => {
    const user = await users.create('deleter');
    const created = await createAll(async (name) => (await tokens.create(user.id, name, 'b'.repeat(64), names.length))!);
    await tokens.delete(user.id, created.at(-1)!.id);
    await tokens.delete(user.id, created[2]!.id);
    const later = await tokens.create(user.id, 'later', 'c'.repeat(64), names.length);
    t.same(
      (await tokens.list(user.id)).map((token) => token.name),
      [...names.slice(0, 2), ...names.slice(3, -1), later!.name],
    );
  });
});
