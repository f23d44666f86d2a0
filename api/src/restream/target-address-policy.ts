/**
 * Refuses restream targets on loopback, private, link-local and similar networks: without this
 * check a user could make an origin push to (and so probe) hosts inside the operator's network,
 * including cloud metadata services. Every address the host resolves to must be public.
 *
 * The check runs when a target is saved. A host whose DNS later changes to a private address
 * (DNS rebinding) is the origin's to refuse at connect time, with the same classification.
 */
import { lookup } from 'node:dns/promises';
import { TargetAddressRefusedError, ValidationError, quote } from '../errors.js';
import { classifyAddress } from './address-class.js';

/** A resolver that hangs must not hold the request: give up after this long. */
const LOOKUP_TIMEOUT_MS = 5000;

export class TargetAddressPolicy {
  constructor(private readonly allowPrivate: boolean) {}

  /** Throws TargetAddressRefusedError or ValidationError (host does not resolve), both 400. */
  async check(field: string, host: string): Promise<void> {
    if (this.allowPrivate) return;
    const addresses = await resolve(field, host);
    for (const address of addresses) {
      const kind = classifyAddress(address);
      if (kind !== 'public') throw new TargetAddressRefusedError(field, host, kind ?? 'unknown');
    }
  }
}

async function resolve(field: string, host: string): Promise<string[]> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('lookup timed out'), { code: 'ETIMEOUT' })), LOOKUP_TIMEOUT_MS);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return found.map((entry) => entry.address);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ValidationError(field, `host ${quote(host)} does not resolve (${code})`);
  } finally {
    clearTimeout(timer);
  }
}
