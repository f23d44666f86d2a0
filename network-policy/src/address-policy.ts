/**
 * Which addresses an origin may push media to. Without it a user could make an origin push to
 * (and so probe) hosts inside the operator's network, cloud metadata services included: a
 * restream target must resolve to public addresses only, unless the operator allows private
 * ones (ALLOW_PRIVATE_TARGETS, for labs and tests).
 *
 * The API applies it when a target is saved, the origin when it connects: a host resolved once,
 * every address checked, and the connection made to the checked addresses (no second lookup a
 * rebinding DNS server could answer differently).
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { type AddressClass, classifyAddress } from './address-class.js';

/** Every address a host name resolves to, in the resolver's order. */
export type LookupAll = (host: string) => Promise<string[]>;

/** The system resolver (getaddrinfo: /etc/hosts, then DNS), as Node's sockets use it. */
export const systemLookup: LookupAll = async (host) => (await lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** A resolver that hangs must not hold the caller: give up after this long. */
export const LOOKUP_TIMEOUT_MS = 5000;

/** The host resolves to an address the policy refuses. */
export class AddressRefusedError extends Error {
  readonly code = 'ADDRESS_REFUSED';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: Exclude<AddressClass, 'public'>,
  ) {
    super(`host ${JSON.stringify(host)} resolves to ${address}, a ${addressClass} address`);
  }
}

/** The host does not resolve (no such name, no answer in time). */
export class HostLookupError extends Error {
  readonly code = 'HOST_LOOKUP_FAILED';
  /** `reason`: the resolver's code, e.g. ENOTFOUND. */
  constructor(
    readonly host: string,
    readonly reason: string,
  ) {
    super(`host ${JSON.stringify(host)} does not resolve (${reason})`);
  }
}

export interface AddressPolicyOptions {
  /** Private, loopback, link-local... addresses are allowed too. */
  allowPrivate: boolean;
  /** Default: the system resolver. */
  lookup?: LookupAll;
  lookupTimeoutMs?: number;
}

export class AddressPolicy {
  readonly allowPrivate: boolean;
  private readonly lookup: LookupAll;
  private readonly lookupTimeoutMs: number;

  constructor(options: AddressPolicyOptions) {
    this.allowPrivate = options.allowPrivate;
    this.lookup = options.lookup ?? systemLookup;
    this.lookupTimeoutMs = options.lookupTimeoutMs ?? LOOKUP_TIMEOUT_MS;
  }

  /**
   * Resolves `host` once (an IP address stands for itself) and checks every address it gets:
   * one refused address refuses the host, since a connection may go to any of them. Returns
   * the addresses to connect to, in the resolver's order. Rejects with AddressRefusedError or
   * HostLookupError.
   */
  async resolve(host: string): Promise<string[]> {
    const addresses = isIP(host) ? [host] : await this.lookupInTime(host);
    if (addresses.length === 0) throw new HostLookupError(host, 'no addresses');
    for (const address of addresses) {
      const kind = classifyAddress(address);
      if (kind === null) throw new HostLookupError(host, `not an IP address: ${JSON.stringify(address)}`);
      if (kind !== 'public' && !this.allowPrivate) throw new AddressRefusedError(host, address, kind);
    }
    return addresses;
  }

  private async lookupInTime(host: string): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new HostLookupError(host, 'ETIMEOUT')), this.lookupTimeoutMs);
    });
    try {
      return await Promise.race([this.lookup(host), timeout]);
    } catch (error) {
      if (error instanceof HostLookupError) throw error;
      throw new HostLookupError(host, (error as NodeJS.ErrnoException).code ?? 'error');
    } finally {
      clearTimeout(timer);
    }
  }
}
