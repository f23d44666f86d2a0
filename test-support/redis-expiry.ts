import type { Redis } from 'ioredis';

/**
 * When `key` expires, in unix ms on Redis's clock; null when it has no TTL or does not exist.
 * TIME and PTTL are read in one script, so the answer does not depend on how long the question
 * took: a test can compare it with times it took itself around a request (same machine, same
 * clock), whatever the machine's load, instead of asserting a remaining TTL.
 */
export async function expiresAtMs(redis: Redis, key: string): Promise<number | null> {
  const [seconds, micros, ttlMs] = (await redis.eval(
    "local now = redis.call('TIME') return {now[1], now[2], redis.call('PTTL', KEYS[1])}",
    1,
    key,
  )) as [string, string, number];
  return ttlMs < 0 ? null : Number(seconds) * 1000 + Math.floor(Number(micros) / 1000) + ttlMs;
}
