/**
 * One connection's decryption state: the salt and the even/odd stream keys from the handshake's
 * key material, replaced when the sender refreshes them in-band (a KMREQ control packet, which
 * is answered by echoing it as KMRSP).
 */
import { cryptPayload, parseKeyMaterial, unwrapKeys } from './srt-key-material.js';

export class SrtDecryptor {
  private salt: Uint8Array;
  private readonly keys: Map<number, Uint8Array>;

  constructor(
    private readonly passphrase: string,
    keyMaterial: Uint8Array,
  ) {
    const material = parseKeyMaterial(keyMaterial);
    this.salt = material.salt;
    this.keys = unwrapKeys(material, passphrase);
  }

  /** The plain payload, or undefined when the packet names a key we were not given. */
  decrypt(payload: Uint8Array, sequence: number, keyFlag: number): Uint8Array | undefined {
    const key = this.keys.get(keyFlag);
    return key ? cryptPayload(payload, sequence, this.salt, key) : undefined;
  }

  /** The sender's new keys (a KMREQ's content); throws when they do not unwrap with our passphrase. */
  refresh(keyMaterial: Uint8Array): void {
    const material = parseKeyMaterial(keyMaterial);
    for (const [flag, key] of unwrapKeys(material, this.passphrase)) this.keys.set(flag, key);
    this.salt = material.salt;
  }
}
