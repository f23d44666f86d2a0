/**
 * Big-endian bit reader for codec configuration records (AudioSpecificConfig, H.264 SPS).
 * Only configuration data goes through here: it is read once per stream, never per frame.
 * Running out of bits means the publisher sent a truncated record, hence MediaFormatError.
 */
import { MediaFormatError } from './media-format-error.js';

export class BitReader {
  private bitOffset = 0;

  /** `what` names the record in error messages, e.g. 'AAC AudioSpecificConfig'. */
  constructor(
    private readonly data: Uint8Array,
    private readonly what: string,
  ) {}

  get bitsLeft(): number {
    return this.data.length * 8 - this.bitOffset;
  }

  /** Reads up to 32 bits as an unsigned number. Throws at the end of the data. */
  readBits(count: number): number {
    if (count > this.bitsLeft) throw this.truncated(`read of ${count} bits`);
    let value = 0;
    for (let i = 0; i < count; i++) {
      const byte = this.data[(this.bitOffset >> 3)] ?? 0;
      const bit = (byte >> (7 - (this.bitOffset & 7))) & 1;
      // Multiplication, not a shift: a 32-bit read would turn negative with `<<`.
      value = value * 2 + bit;
      this.bitOffset++;
    }
    return value;
  }

  readBit(): boolean {
    return this.readBits(1) === 1;
  }

  skipBits(count: number): void {
    if (count > this.bitsLeft) throw this.truncated(`skip of ${count} bits`);
    this.bitOffset += count;
  }

  /** Unsigned Exp-Golomb code, ue(v) in H.264 7.2. */
  readUE(): number {
    let leadingZeros = 0;
    while (!this.readBit()) {
      leadingZeros++;
      if (leadingZeros > 31) throw new MediaFormatError(`${this.what}: Exp-Golomb code longer than 32 bits`);
    }
    return 2 ** leadingZeros - 1 + this.readBits(leadingZeros);
  }

  /** Signed Exp-Golomb code, se(v): 1, 2, 3, 4 map to 1, -1, 2, -2. */
  readSE(): number {
    const code = this.readUE();
    return code % 2 === 1 ? (code + 1) / 2 : -code / 2;
  }

  private truncated(operation: string): MediaFormatError {
    return new MediaFormatError(`${this.what} is truncated: ${operation} past the end of ${this.data.length} bytes`);
  }
}
