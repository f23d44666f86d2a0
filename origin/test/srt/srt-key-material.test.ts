/** Key material messages and payload encryption, read back from what we write. */
import t from 'tap';
import { KEY_FLAG, SrtBadSecretError, cryptPayload, parseKeyMaterial, unwrapKeys, writeKeyMaterial } from '../../src/srt/srt-key-material.js';
import { SrtDecryptor } from '../../src/srt/srt-decryptor.js';
import { SrtPacketError } from '../../src/srt/srt-packet.js';

const SALT = Uint8Array.from({ length: 16 }, (_, index) => index + 1);
const EVEN = new Uint8Array(16).fill(0xe0);
const ODD = new Uint8Array(16).fill(0x0d);

t.test('a key material message: header, salt, keys wrapped with the passphrase', async (t) => {
  const message = writeKeyMaterial(new Map([[KEY_FLAG.even, EVEN], [KEY_FLAG.odd, ODD]]), SALT, 'a passphrase');
  t.same([...message.subarray(0, 4)], [0x12, 0x20, 0x29, 3], 'version 1, type 2, HAI sign, both keys');
  t.equal(message.byteLength, 16 + 16 + 8 + 32, 'header, salt, ICV and two 128-bit keys');
  const material = parseKeyMaterial(message);
  t.match(material, { keys: KEY_FLAG.both, keyLength: 16 });
  t.same([...material.salt], [...SALT]);
  const keys = unwrapKeys(material, 'a passphrase');
  t.same([...keys.get(KEY_FLAG.even)!], [...EVEN]);
  t.same([...keys.get(KEY_FLAG.odd)!], [...ODD]);
  t.throws(() => unwrapKeys(material, 'another passphrase'), SrtBadSecretError);
  t.throws(() => parseKeyMaterial(message.subarray(0, 40)), SrtPacketError, 'cut short');
  t.throws(() => parseKeyMaterial(new Uint8Array(48)), SrtPacketError, 'not key material');
});

t.test('payloads: AES-CTR keyed by packet sequence number and salt; the decryptor picks the key the packet names', async (t) => {
  const plain = Uint8Array.from({ length: 1316 }, (_, index) => index & 0xff);
  const encrypted = cryptPayload(plain, 12345, SALT, ODD);
  t.notSame([...encrypted], [...plain]);
  t.notSame([...cryptPayload(plain, 12346, SALT, ODD)], [...encrypted], 'another packet, another key stream');
  const decryptor = new SrtDecryptor('a passphrase', writeKeyMaterial(new Map([[KEY_FLAG.odd, ODD]]), SALT, 'a passphrase'));
  t.same([...decryptor.decrypt(encrypted, 12345, KEY_FLAG.odd)!], [...plain]);
  t.equal(decryptor.decrypt(encrypted, 12345, KEY_FLAG.even), undefined, 'no even key yet');
  decryptor.refresh(writeKeyMaterial(new Map([[KEY_FLAG.even, EVEN]]), SALT, 'a passphrase'));
  t.same([...decryptor.decrypt(cryptPayload(plain, 7, SALT, EVEN), 7, KEY_FLAG.even)!], [...plain], 'refreshed in-band');
  t.throws(() => decryptor.refresh(writeKeyMaterial(new Map([[KEY_FLAG.even, ODD]]), SALT, 'wrong passphrase')), SrtBadSecretError);
});
