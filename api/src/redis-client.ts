import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { createRequire } from 'node:module';

/**
 * Longest pause between reconnection attempts: short, so the API is back within about a second
 * of Redis returning, and cheap, since an attempt against a closed port fails at once.
 */
const MAX_RECONNECT_DELAY_MS = 1_000;

export interface RedisClientOptions {
  url: string;
  /** Connect and per-command timeout; a request that needs Redis fails after at most this. */
  timeoutMs: number;
  logger: FastifyBaseLogger;
}

/** The `debug` package as ioredis itself loads it (the same instance, whatever its version). */
interface DebugControl {
  enable(namespaces: string): void;
  /** Disables every namespace and returns those that were enabled (`-name` for skipped ones). */
  disable(): string;
  enabled(name: string): boolean;
}

const IOREDIS_DEBUG = 'ioredis:*';

/**
 * ioredis's debug output (`DEBUG=ioredis:*`) prints every command with its arguments: stream
 * keys and restream target keys being stored, token hashes, the password of AUTH. So it stays
 * off whatever DEBUG says; the other namespaces DEBUG names keep working. Returns whether DEBUG
 * had asked for it.
 */
export function silenceRedisDebug(): boolean {
  const ioredisRequire = createRequire(createRequire(import.meta.url).resolve('ioredis'));
  const debug = ioredisRequire('debug') as DebugControl;
  const wasOn = debug.enabled('ioredis:redis');
  const skip = `-${IOREDIS_DEBUG}`;
  const others = debug
    .disable()
    .split(',')
    .filter((namespace) => namespace !== '' && namespace !== skip);
  debug.enable([...others, skip].join(','));
  return wasOn;
}

/**
 * A client that fails fast while Redis is away instead of queueing commands (requests answer
 * 503 at once) and keeps reconnecting in the background, so the API recovers on its own.
 */
export function createRedisClient({ url, timeoutMs, logger }: RedisClientOptions): Redis {
  if (silenceRedisDebug()) logger.warn(`DEBUG names ${IOREDIS_DEBUG}, whose output holds secrets (command arguments): it stays off`);
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
  });
  // Without an 'error' listener an unreachable Redis would crash the process; log once per outage.
  let outage = false;
  redis.on('error', (error: Error) => {
    if (outage) return;
    outage = true;
    logger.warn({ err: error }, 'redis unavailable: answering 503 while reconnecting');
  });
  redis.on('ready', () => {
    if (!outage) return;
    outage = false;
    logger.info('redis available again');
  });
  return redis;
}

/** Resolves true once the client is ready, or false after `timeoutMs`; never rejects. */
export function waitUntilReady(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    redis.once('ready', onReady);
  });
}

/** Quits politely when connected; otherwise just stops reconnecting. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // The connection dropped while quitting: fall through and stop reconnecting.
    }
  }
  redis.disconnect();
}
