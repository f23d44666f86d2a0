/**
 * SRT encryption (draft-sharabayko-srt §6), receiver side: the key material message (KMREQ, in the
 * conclusion handshake and again in-band when the sender refreshes its keys) carries the stream
 * encrypting keys (SEK) wrapped (RFC 3394) with a key derived from the passphrase (PBKDF2-HMAC-
 * SHA1, 2048 rounds, salt = the last 8 bytes of the message's salt); payloads are AES-CTR with a
 * counter of (first 112 bits of the salt XOR the packet sequence number at bits 80-111) << 16.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { SrtPacketError } from './srt-packet.js';

const KM_HEADER_BYTES = 16;
const SALT_BYTES = 16;
const WRAP_ICV_BYTES = 8;
/** "HAI" PnP vendor id, the key material message's signature. */
const KM_SIGN = 0x2029;
const CIPHER_AES_CTR = 2;
const PBKDF2_ROUNDS = 2048;
/** RFC 3394's default initial value, which node:crypto's key wrap takes as its IV. */
const KEY_WRAP_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

/** Which keys a message carries, and which key a data packet is encrypted with (its KK bits). */
export const KEY_FLAG = { even: 1, odd: 2, both: 3 } as const;

export interface KeyMaterial {
  /** KEY_FLAG: which keys are wrapped. */
  keys: number;
  salt: Uint8Array;
  /** 16, 24 or 32 bytes: AES-128, -192, -256. */
  keyLength: number;
  wrapped: Uint8Array;
}

export class SrtBadSecretError extends Error {
  readonly code = 'LIVE_ERR_SRT_BAD_SECRET';
  override readonly name = 'SrtBadSecretError';
}

export function parseKeyMaterial(content: Uint8Array): KeyMaterial {
  if (content.byteLength < KM_HEADER_BYTES + SALT_BYTES) throw new SrtPacketError(`a key material message has at least 32 bytes, got ${content.byteLength}`);
  const view = new DataView(content.buffer, content.byteOffset, content.byteLength);
  // byte 0: S (0), version (1), packet type (2: key material)
  if (content[0] !== 0x12 || view.getUint16(1) !== KM_SIGN) throw new SrtPacketError('not an SRT key material message');
  const keys = content[3]! & 0b11;
  if (keys === 0) throw new SrtPacketError('a key material message without keys');
  if (content[8] !== CIPHER_AES_CTR) throw new SrtPacketError(`cipher ${content[8]} is not AES-CTR`);
  const saltLength = content[14]! * 4;
  const keyLength = content[15]! * 4;
  if (saltLength !== SALT_BYTES || ![16, 24, 32].includes(keyLength)) throw new SrtPacketError(`salt of ${saltLength} and keys of ${keyLength} bytes are not SRT's`);
  const count = keys === KEY_FLAG.both ? 2 : 1;
  const wrapped = content.subarray(KM_HEADER_BYTES + SALT_BYTES);
  if (wrapped.byteLength < WRAP_ICV_BYTES + count * keyLength) throw new SrtPacketError('the wrapped keys are cut short');
  return { keys, salt: content.slice(KM_HEADER_BYTES, KM_HEADER_BYTES + SALT_BYTES), keyLength, wrapped: wrapped.slice(0, WRAP_ICV_BYTES + count * keyLength) };
}

/** The stream keys, by KEY_FLAG.even / .odd. Throws SrtBadSecretError when the passphrase is not the sender's. */
export function unwrapKeys(material: KeyMaterial, passphrase: string): Map<number, Uint8Array> {
  const kek = keyEncryptingKey(passphrase, material.salt, material.keyLength);
  let keys: Buffer;
  try {
    const decipher = createDecipheriv(`id-aes${material.keyLength * 8}-wrap`, kek, KEY_WRAP_IV);
    keys = Buffer.concat([decipher.update(material.wrapped), decipher.final()]);
  } catch {
    throw new SrtBadSecretError('the key material does not unwrap with this passphrase');
  }
  const found = new Map<number, Uint8Array>();
  if (material.keys === KEY_FLAG.both) {
    found.set(KEY_FLAG.even, keys.subarray(0, material.keyLength));
    found.set(KEY_FLAG.odd, keys.subarray(material.keyLength));
  } else {
    found.set(material.keys, keys);
  }
  return found;
}

/** A key material message (what a sender writes; tests use it). */
export function writeKeyMaterial(keys: Map<number, Uint8Array>, salt: Uint8Array, passphrase: string): Uint8Array {
  const even = keys.get(KEY_FLAG.even);
  const odd = keys.get(KEY_FLAG.odd);
  const plain = Buffer.concat([even, odd].filter((key): key is Uint8Array => key !== undefined));
  const keyLength = (even ?? odd)!.byteLength;
  const cipher = createCipheriv(`id-aes${keyLength * 8}-wrap`, keyEncryptingKey(passphrase, salt, keyLength), KEY_WRAP_IV);
  const wrapped = Buffer.concat([cipher.update(plain), cipher.final()]);
  const message = new Uint8Array(KM_HEADER_BYTES + SALT_BYTES + wrapped.byteLength);
  const view = new DataView(message.buffer);
  message[0] = 0x12;
  view.setUint16(1, KM_SIGN);
  message[3] = (even ? KEY_FLAG.even : 0) | (odd ? KEY_FLAG.odd : 0);
  message[8] = CIPHER_AES_CTR;
  message[10] = 2; // stream encapsulation: MPEG-TS/SRT
  message[14] = SALT_BYTES / 4;
  message[15] = keyLength / 4;
  message.set(salt, KM_HEADER_BYTES);
  message.set(wrapped, KM_HEADER_BYTES + SALT_BYTES);
  return message;
}

/** Decrypts (or encrypts: CTR is its own inverse) the payload of packet `sequence`. */
export function cryptPayload(payload: Uint8Array, sequence: number, salt: Uint8Array, key: Uint8Array): Uint8Array {
  const counter = Buffer.alloc(16);
  counter.writeUInt32BE(sequence >>> 0, 10);
  for (let index = 0; index < 14; index++) counter[index]! ^= salt[index]!;
  const cipher = createDecipheriv(`aes-${key.byteLength * 8}-ctr`, key, counter);
  return Buffer.concat([cipher.update(payload), cipher.final()]);
}

function keyEncryptingKey(passphrase: string, salt: Uint8Array, keyLength: number): Buffer {
  return pbkdf2Sync(passphrase, salt.subarray(salt.byteLength - 8), PBKDF2_ROUNDS, keyLength, 'sha1');
}
