/**
 * The address policy (network-policy/) applied when a restream target is saved, with the API's
 * errors. Under ALLOW_PRIVATE_TARGETS=1 nothing is looked up: the origin resolves and checks the
 * host again when it connects, against its own ALLOW_PRIVATE_TARGETS, so a host whose DNS
 * changes later (DNS rebinding) is still refused there.
 */
import { AddressPolicy, AddressRefusedError, HostLookupError } from '../../../network-policy/src/address-policy.js';
import { TargetAddressRefusedError, ValidationError, quote } from '../errors.js';

export class TargetAddressPolicy {
  private readonly policy: AddressPolicy;

  constructor(allowPrivate: boolean) {
    this.policy = new AddressPolicy({ allowPrivate });
  }

  /** Throws TargetAddressRefusedError or ValidationError (host does not resolve), both 400. */
  async check(field: string, host: string): Promise<void> {
    if (this.policy.allowPrivate) return;
    try {
      await this.policy.resolve(host);
    } catch (error) {
      if (error instanceof AddressRefusedError) throw new TargetAddressRefusedError(field, host, error.addressClass);
      if (error instanceof HostLookupError) throw new ValidationError(field, `host ${quote(host)} does not resolve (${error.reason})`);
      throw error;
    }
  }
}
