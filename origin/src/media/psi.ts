/**
 * Program-specific information (ITU-T H.222.0 2.4.4): the PAT pointing at one program's PMT, and
 * the PMT listing that program's elementary streams. Each section fits in one packet.
 */
import { crc32Mpeg } from './crc32-mpeg.js';
import { TS_PACKET_SIZE, TS_PAYLOAD_SIZE, NO_PCR, writePacketPrefix } from './ts-packet.js';

const PAT_PID = 0;
export const STREAM_TYPE_AAC_ADTS = 0x0f;
export const STREAM_TYPE_H264 = 0x1b;

const TABLE_ID_PAT = 0x00;
const TABLE_ID_PMT = 0x02;
const PROGRAM_NUMBER = 1;
const TRANSPORT_STREAM_ID = 1;
const CRC_SIZE = 4;

export interface PmtStream {
  streamType: number;
  pid: number;
}

export function writePatPacket(out: Uint8Array, offset: number, continuityCounter: number, pmtPid: number): void {
  const section = beginSection(out, offset, PAT_PID, continuityCounter);
  // Fields after section_length: 5 header bytes + one 4-byte program entry + CRC.
  writeSectionHeader(out, section, TABLE_ID_PAT, 5 + 4 + CRC_SIZE, TRANSPORT_STREAM_ID);
  // program_number (16 bits), reserved (3 bits), program_map_PID (13 bits).
  writeU16(out, section + 8, PROGRAM_NUMBER);
  writeU16(out, section + 10, 0xe000 | pmtPid);
  endSection(out, offset, section, section + 12);
}

export function writePmtPacket(
  out: Uint8Array,
  offset: number,
  continuityCounter: number,
  pmtPid: number,
  pcrPid: number,
  streams: readonly PmtStream[],
): void {
  const section = beginSection(out, offset, pmtPid, continuityCounter);
  // Fields after section_length: 5 header bytes, PCR PID, program info length, 5 per stream, CRC.
  writeSectionHeader(out, section, TABLE_ID_PMT, 5 + 4 + 5 * streams.length + CRC_SIZE, PROGRAM_NUMBER);
  // reserved (3 bits), PCR_PID (13 bits).
  writeU16(out, section + 8, 0xe000 | pcrPid);
  // reserved (4 bits), program_info_length (12 bits): no program descriptors.
  writeU16(out, section + 10, 0xf000);
  let position = section + 12;
  for (const stream of streams) {
    // stream_type (8 bits).
    out[position] = stream.streamType;
    // reserved (3 bits), elementary_PID (13 bits).
    writeU16(out, position + 1, 0xe000 | stream.pid);
    // reserved (4 bits), ES_info_length (12 bits): no descriptors.
    writeU16(out, position + 3, 0xf000);
    position += 5;
  }
  endSection(out, offset, section, position);
}

/** Writes the packet header and pointer_field; returns where the section starts. */
function beginSection(out: Uint8Array, offset: number, pid: number, continuityCounter: number): number {
  const payload = writePacketPrefix(out, offset, pid, true, continuityCounter, TS_PAYLOAD_SIZE, NO_PCR, false);
  // pointer_field (8 bits): the section starts right after it.
  out[payload] = 0;
  return payload + 1;
}

function writeSectionHeader(out: Uint8Array, section: number, tableId: number, length: number, idExtension: number): void {
  // table_id (8 bits).
  out[section] = tableId;
  // section_syntax_indicator (1) = 1, '0' (1), reserved (2), section_length (12 bits).
  writeU16(out, section + 1, 0xb000 | length);
  // transport_stream_id (PAT) or program_number (PMT) (16 bits).
  writeU16(out, section + 3, idExtension);
  // reserved (2), version_number (5) = 0, current_next_indicator (1) = 1.
  out[section + 5] = 0xc1;
  // section_number, last_section_number (8 bits each): one section per table.
  out[section + 6] = 0;
  out[section + 7] = 0;
}

/** Appends CRC_32 over the section and fills the rest of the packet with 0xFF. */
function endSection(out: Uint8Array, packet: number, section: number, crcOffset: number): void {
  const crc = crc32Mpeg(out, section, crcOffset);
  writeU16(out, crcOffset, crc >>> 16);
  writeU16(out, crcOffset + 2, crc & 0xffff);
  out.fill(0xff, crcOffset + CRC_SIZE, packet + TS_PACKET_SIZE);
}

function writeU16(out: Uint8Array, offset: number, value: number): void {
  out[offset] = (value >> 8) & 0xff;
  out[offset + 1] = value & 0xff;
}
