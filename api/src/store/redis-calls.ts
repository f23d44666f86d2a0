import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { StoreUnavailableError } from '../errors.js';

/**
 * The three ways the stores talk to Redis. Any failure (connection down, timeout, an error reply
 * such as LOADING after a restart) means the store is unavailable: the request answers 503.
 */

/** Runs one command. */
export async function call<T>(command: Promise<T>): Promise<T> {
  try {
    return await command;
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
}

type ExecResult = [error: Error | null, result: unknown][] | null;

/** Runs a MULTI transaction and returns its replies in order. */
export async function exec(transaction: { exec(): Promise<ExecResult> }): Promise<unknown[]> {
  let results: ExecResult;
  try {
    results = await transaction.exec();
  } catch (error) {
    throw new StoreUnavailableError(error);
  }
  if (results === null) throw new StoreUnavailableError(new Error('transaction aborted'));
  return results.map(([error, reply]) => {
    if (error) throw new StoreUnavailableError(error);
    return reply;
  });
}

/**
 * A Lua script, for the few writes that must check something first (an id is free, a lease is
 * ours): Redis runs a script atomically, like MULTI, but a script can decide. Sent by SHA and
 * loaded on NOSCRIPT, so a restarted Redis (empty script cache) is handled.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: Redis, keys: string[], values: (string | number)[]): Promise<unknown> {
    const args = values.map(String);
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw new StoreUnavailableError(error);
    }
    return call(redis.eval(this.source, keys.length, ...keys, ...args));
  }
}

/** Parses an HGETALL reply: null for a missing hash. */
export function hashOrNull(reply: unknown): Record<string, string> | null {
  if (reply === null || typeof reply !== 'object') return null;
  const hash = reply as Record<string, string>;
  return Object.keys(hash).length === 0 ? null : hash;
}
