/**
 * Reassembles the PSI sections (PAT, PMT) of one PID from its packets' payloads (ITU-T H.222.0
 * 2.4.4.2): a section starts after the pointer_field of a packet that has payload_unit_start set
 * and may run on into the following packets. Sections whose CRC fails are dropped; PAT and PMT
 * are repeated often, so the next copy serves.
 */
import { crc32Mpeg } from '../media/crc32-mpeg.js';

/** PAT and PMT sections are at most 1024 bytes (section_length at most 1021). */
const MAX_SECTION_BYTES = 1024;
/** Table header after section_length (5 bytes) and the CRC (4). */
const MIN_SECTION_BYTES = 3 + 5 + 4;
const STUFFING = 0xff;

export class PsiSectionAssembler {
  private readonly buffer = new Uint8Array(MAX_SECTION_BYTES);
  private length = 0;
  /** The section in progress's size, once its header has arrived; 0 before. */
  private expected = 0;
  private collecting = false;

  /** Takes one packet's payload [start, end); returns the CRC-checked section it completes (valid until the next call). */
  push(data: Uint8Array, start: number, end: number, unitStart: boolean): Uint8Array | undefined {
    if (!unitStart) return this.collecting ? this.append(data, start, end) : undefined;
    // pointer_field (8 bits): bytes that finish the previous section before the next one starts.
    const sectionStart = start + 1 + data[start]!;
    const finished = this.collecting ? this.append(data, start + 1, Math.min(end, sectionStart)) : undefined;
    this.collecting = true;
    this.length = 0;
    this.expected = 0;
    const next = sectionStart < end ? this.append(data, sectionStart, end) : undefined;
    return finished ?? next;
  }

  private append(data: Uint8Array, start: number, end: number): Uint8Array | undefined {
    const take = Math.min(end - start, MAX_SECTION_BYTES - this.length);
    this.buffer.set(data.subarray(start, start + take), this.length);
    this.length += take;
    if (this.expected === 0 && this.length >= 3) {
      // table_id (8 bits), section_syntax_indicator (1), '0' (1), reserved (2), section_length (12 bits).
      this.expected = 3 + (((this.buffer[1]! & 0x0f) << 8) | this.buffer[2]!);
      if (this.buffer[0] === STUFFING || this.expected > MAX_SECTION_BYTES || this.expected < MIN_SECTION_BYTES) {
        this.collecting = false;
        return undefined;
      }
    }
    if (this.expected === 0 || this.length < this.expected) return undefined;
    this.collecting = false;
    const section = this.buffer.subarray(0, this.expected);
    // Over the section with its CRC_32, the MPEG-2 CRC comes out as zero.
    return crc32Mpeg(section, 0, section.length) === 0 ? section : undefined;
  }
}
