/**
 * PAT and PMT sections (ITU-T H.222.0 2.4.4.3, 2.4.4.8) as received: where the first program's
 * PMT is, and which elementary streams that program has. Sections come CRC-checked from
 * PsiSectionAssembler; these only read them. The writer side is media/psi.ts.
 */

const TABLE_ID_PAT = 0x00;
const TABLE_ID_PMT = 0x02;
const CRC_SIZE = 4;

export interface ProgramMap {
  /** version_number: a new version replaces the streams. */
  version: number;
  streams: Array<{ streamType: number; pid: number }>;
}

/** The PMT PID of the first program in a PAT section; undefined for another table or no program. */
export function readPatPmtPid(section: Uint8Array): number | undefined {
  if (section[0] !== TABLE_ID_PAT) return undefined;
  // After the 8-byte header: program_number (16 bits), reserved (3), PID (13), until the CRC.
  for (let entry = 8; entry + 4 <= section.length - CRC_SIZE; entry += 4) {
    const programNumber = (section[entry]! << 8) | section[entry + 1]!;
    // Program 0 names the network information table, not a program.
    if (programNumber !== 0) return ((section[entry + 2]! & 0x1f) << 8) | section[entry + 3]!;
  }
  return undefined;
}

/** The elementary streams of a PMT section; undefined for another table or one that does not add up. */
export function readProgramMap(section: Uint8Array): ProgramMap | undefined {
  if (section[0] !== TABLE_ID_PMT || section.length < 12 + CRC_SIZE) return undefined;
  // reserved (2 bits), version_number (5), current_next_indicator (1).
  const version = (section[5]! >> 1) & 0x1f;
  // reserved (4 bits), program_info_length (12 bits), after reserved (3) + PCR_PID (13).
  const programInfoLength = ((section[10]! & 0x0f) << 8) | section[11]!;
  const end = section.length - CRC_SIZE;
  const streams: ProgramMap['streams'] = [];
  let entry = 12 + programInfoLength;
  while (entry + 5 <= end) {
    // stream_type (8 bits), reserved (3), elementary_PID (13), reserved (4), ES_info_length (12).
    const streamType = section[entry]!;
    const pid = ((section[entry + 1]! & 0x1f) << 8) | section[entry + 2]!;
    const infoLength = ((section[entry + 3]! & 0x0f) << 8) | section[entry + 4]!;
    streams.push({ streamType, pid });
    entry += 5 + infoLength;
  }
  if (entry !== end) return undefined;
  return { version, streams };
}
