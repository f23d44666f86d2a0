/**
 * ISO BMFF boxes (ISO/IEC 14496-12 4.2) written big-endian through a cursor. The same write
 * function runs twice: once without a buffer to measure, once into a buffer of exactly that
 * size, so a box tree is allocated once and no size is computed by hand.
 */

export class BoxWriter {
  private offset = 0;
  private readonly view: DataView | undefined;

  /** Without `out`, nothing is written and the writer only counts bytes. */
  constructor(private readonly out?: Uint8Array) {
    this.view = out && new DataView(out.buffer, out.byteOffset, out.byteLength);
  }

  get position(): number {
    return this.offset;
  }

  u8(value: number): void {
    this.put(1, 'setUint8', value);
  }

  u16(value: number): void {
    this.put(2, 'setUint16', value);
  }

  u24(value: number): void {
    this.u8(value >>> 16);
    this.u16(value & 0xffff);
  }

  u32(value: number): void {
    this.put(4, 'setUint32', value);
  }

  i32(value: number): void {
    this.put(4, 'setInt32', value);
  }

  /** Up to 2^53 - 1: JS bitwise operators are 32-bit, so the high word is a division. */
  u64(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${value} is not a 64-bit unsigned integer we can write`);
    this.u32(Math.floor(value / 2 ** 32));
    this.u32(value % 2 ** 32);
  }

  fourCc(code: string): void {
    if (code.length !== 4) throw new RangeError(`a four-character code has 4 characters, got '${code}'`);
    for (let i = 0; i < 4; i++) this.u8(code.charCodeAt(i));
  }

  bytes(data: Uint8Array): void {
    const at = this.advance(data.length);
    this.out?.set(data, at);
  }

  zeros(count: number): void {
    const at = this.advance(count);
    this.out?.fill(0, at, at + count);
  }

  /** A box: size (32 bits, patched once `body` has run), type, then the body. */
  box(type: string, body: () => void): void {
    const start = this.offset;
    this.u32(0);
    this.fourCc(type);
    body();
    this.view?.setUint32(start, this.offset - start);
  }

  /** A FullBox: a box whose body starts with version (8 bits) and flags (24 bits). */
  fullBox(type: string, version: number, flags: number, body: () => void): void {
    this.box(type, () => {
      this.u8(version);
      this.u24(flags);
      body();
    });
  }

  private put(count: number, setter: 'setUint8' | 'setUint16' | 'setUint32' | 'setInt32', value: number): void {
    const at = this.advance(count);
    this.view?.[setter](at, value);
  }

  /** Moves the cursor past `count` bytes; returns where they start. */
  private advance(count: number): number {
    const at = this.offset;
    this.offset += count;
    return at;
  }
}

/** Bytes `write` produces. */
export function measureBoxes(write: (w: BoxWriter) => void): number {
  const counter = new BoxWriter();
  write(counter);
  return counter.position;
}

/** Measures `write` (unless its `size` is known), allocates once, then writes. */
export function writeBoxes(write: (w: BoxWriter) => void, size = measureBoxes(write)): Uint8Array {
  const out = new Uint8Array(size);
  const writer = new BoxWriter(out);
  write(writer);
  if (writer.position !== size) throw new Error(`boxes measured ${size} bytes but wrote ${writer.position}`);
  return out;
}
