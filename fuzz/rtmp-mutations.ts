/**
 * One fuzz session's bytes from a recorded publish and a seed: the same recordings and seed give
 * the same bytes, so a session that broke the origin is replayed from its seed. Pure, no I/O.
 *
 * A session is the recording as sent, or its messages changed (reordered, duplicated, dropped,
 * AMF garbage, corrupt media, lying timestamps, huge or unknown messages, control messages) and
 * laid out in chunks anew (chunk size changes, odd chunk stream ids, interleaved chunk streams);
 * then, either way, perhaps damaged byte by byte (bit flips, truncation, huge lengths, inserted
 * or repeated bytes).
 */
import { encodeCommand, uint32Payload } from '../origin/src/restream/rtmp-messages.js';
import type { RtmpMessage } from '../origin/src/restream/rtmp-chunk-writer.js';
import { layOutChunks, type ChunkLayout } from './rtmp-chunk-layout.js';
import { RECORDED_STREAM_NAME, replaceAscii, sessionStreamName, type RecordedPublish } from './rtmp-recording.js';
import { SeededRandom } from './seeded-random.js';

/** No session sends more (its run time stays bounded); a longer one is cut. */
export const MAX_SESSION_BYTES = 2 * 1024 * 1024;
/** Chunks in a layout with chunks smaller than the protocol's default (which the origin refuses). */
const TINY_CHUNKS_BYTES = 64 * 1024;

export interface FuzzSession {
  seed: number;
  /** The recording it started from. */
  source: string;
  /** The stream name it publishes to, unless a mutation changed it. */
  streamName: string;
  /** What was done to the recording, in order: enough to tell sessions apart in a report. */
  mutations: string[];
  bytes: Uint8Array;
}

const MSG_SET_CHUNK_SIZE = 1;
const MSG_COMMAND_AMF0 = 20;
const MEDIA_TYPES = new Set([8, 9, 18]);

type MessageMutation = (messages: RtmpMessage[], random: SeededRandom) => { messages: RtmpMessage[]; note: string };

const isCommand = (message: RtmpMessage) => message.type === MSG_COMMAND_AMF0;
const isMedia = (message: RtmpMessage) => MEDIA_TYPES.has(message.type);
const indexes = (messages: readonly RtmpMessage[], wanted: (message: RtmpMessage) => boolean) =>
  messages.flatMap((message, index) => (wanted(message) ? [index] : []));
const commandName = (message: RtmpMessage) => {
  const length = ((message.payload[1] ?? 0) << 8) | (message.payload[2] ?? 0);
  return Buffer.from(message.payload.subarray(3, 3 + length)).toString('latin1');
};

const messageMutations: Record<string, MessageMutation> = {
  'media before publish': (messages, random) => {
    const publish = messages.findIndex((message) => isCommand(message) && commandName(message) === 'publish');
    const media = indexes(messages, isMedia).slice(0, random.between(1, 20));
    if (publish === -1 || media.length === 0) return { messages, note: 'none' };
    const moved = media.map((index) => messages[index]!);
    const rest = messages.filter((_, index) => !media.includes(index));
    const at = random.int(publish + 1);
    return { messages: [...rest.slice(0, at), ...moved, ...rest.slice(at)], note: `${moved.length} at ${at}` };
  },
  'AMF garbage': (messages, random) => {
    const commands = indexes(messages, isCommand);
    if (commands.length === 0) return { messages, note: 'none' };
    const index = random.pick(commands);
    const original = messages[index]!;
    // Keep the command name (so the server gets to its arguments) or not.
    const keep = random.chance(0.5) ? 3 + (((original.payload[1] ?? 0) << 8) | (original.payload[2] ?? 0)) : 0;
    const payload = concat([original.payload.subarray(0, keep), amfGarbage(random, 0)]);
    return { messages: replaced(messages, index, { ...original, payload }), note: `${commandName(original) || 'command'} #${index}` };
  },
  'duplicated command': (messages, random) => {
    const commands = indexes(messages, isCommand);
    if (commands.length === 0) return { messages, note: 'none' };
    const index = random.pick(commands);
    const copies = random.between(2, 200);
    const copy = messages[index]!;
    return { messages: [...messages.slice(0, index), ...Array<RtmpMessage>(copies).fill(copy), ...messages.slice(index + 1)], note: `${commandName(copy)} x${copies}` };
  },
  'dropped messages': (messages, random) => {
    const count = random.between(1, 3);
    const dropped = new Set(Array.from({ length: count }, () => random.int(Math.min(messages.length, 12))));
    return { messages: messages.filter((_, index) => !dropped.has(index)), note: [...dropped].join(',') };
  },
  'corrupt media': (messages, random) => {
    const media = indexes(messages, isMedia);
    const chosen = Array.from({ length: Math.min(media.length, random.between(1, 8)) }, () => random.pick(media));
    let out = messages;
    for (const index of chosen) {
      const original = out[index]!;
      // Keep the FLV tag header bytes (codec, packet type) so the packager parses further.
      const keep = Math.min(original.payload.length, random.int(6));
      const length = random.chance(0.7) ? original.payload.length : random.int(original.payload.length * 2 + 16);
      out = replaced(out, index, { ...original, payload: concat([original.payload.subarray(0, keep), random.bytes(Math.max(0, length - keep))]) });
    }
    return { messages: out, note: chosen.join(',') };
  },
  'wild timestamps': (messages, random) => {
    const values = [0, 1, 0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0xffffffff];
    let out = messages;
    const count = random.between(1, 20);
    for (let i = 0; i < count; i += 1) {
      const index = random.int(out.length);
      const timestamp = random.chance(0.5) ? random.pick(values) : random.int(2 ** 32);
      out = replaced(out, index, { ...out[index]!, timestamp });
    }
    return { messages: out, note: String(count) };
  },
  'huge message': (messages, random) => {
    const size = random.between(1024 * 1024, 12 * 1024 * 1024);
    const type = random.pick([8, 9, 18, 20, 22]);
    const at = random.int(messages.length + 1);
    // Random at the start (a plausible header), zeros after.
    const payload = new Uint8Array(size);
    payload.set(random.bytes(64));
    const message: RtmpMessage = { csid: random.pick([4, 6, 7]), type, streamId: 1, timestamp: 0, payload };
    return { messages: [...messages.slice(0, at), message, ...messages.slice(at)], note: `type ${type}, ${size} bytes at ${at}` };
  },
  'odd stream name': (messages, random) => {
    const publish = messages.findIndex((message) => isCommand(message) && commandName(message) === 'publish');
    if (publish === -1) return { messages, note: 'none' };
    const name = random.pick([
      '',
      '../../etc/passwd',
      'a'.repeat(random.between(100, 70_000)),
      'name with spaces',
      `${RECORDED_STREAM_NAME}?sign=${'x'.repeat(40)}`,
      'ünïcødé-💥',
      '\u0000\u0001\u0002',
      'stream/other',
    ]);
    const payload = encodeCommand('publish', 5, null, name, 'live');
    return { messages: replaced(messages, publish, { ...messages[publish]!, payload }), note: `${name.length} characters` };
  },
  'control messages': (messages, random) => {
    let out = messages;
    const count = random.between(1, 10);
    for (let i = 0; i < count; i += 1) {
      // Set Chunk Size, Abort, Acknowledgement, User Control, Window Ack Size, Set Peer Bandwidth.
      const type = random.pick([1, 2, 3, 4, 5, 6]);
      const payload = random.chance(0.5) ? uint32Payload(random.pick([0, 1, 2, 0x7fffffff, 0x80000000, 0xffffffff, random.int(2 ** 32)])) : random.bytes(random.int(12));
      const at = random.int(out.length + 1);
      out = [...out.slice(0, at), { csid: 2, type, streamId: 0, timestamp: 0, payload }, ...out.slice(at)];
    }
    return { messages: out, note: String(count) };
  },
  'unknown message types': (messages, random) => {
    let out = messages;
    const count = random.between(1, 10);
    for (let i = 0; i < count; i += 1) {
      const type = random.pick([7, 10, 15, 16, 17, 19, 22, random.int(256)]);
      const at = random.int(out.length + 1);
      out = [...out.slice(0, at), { csid: random.between(2, 12), type, streamId: random.int(3), timestamp: 0, payload: random.bytes(random.int(2048)) }, ...out.slice(at)];
    }
    return { messages: out, note: String(count) };
  },
};

type ByteMutation = (bytes: Uint8Array, random: SeededRandom, lengthFields: readonly number[]) => { bytes: Uint8Array; note: string };

const byteMutations: Record<string, ByteMutation> = {
  'bit flips': (bytes, random) => {
    const out = new Uint8Array(bytes);
    const count = random.between(1, 32);
    for (let i = 0; i < count; i += 1) {
      const at = random.int(out.length);
      out[at]! ^= 1 << random.int(8);
    }
    return { bytes: out, note: String(count) };
  },
  truncated: (bytes, random) => {
    const at = random.int(bytes.length);
    return { bytes: bytes.subarray(0, at), note: `at ${at}` };
  },
  'huge length': (bytes, random, lengthFields) => {
    const fields = lengthFields.filter((field) => field >= 0 && field + 3 <= bytes.length);
    if (fields.length === 0) return { bytes, note: 'none' };
    const out = new Uint8Array(bytes);
    const field = random.pick(fields);
    const length = random.chance(0.5) ? 0xffffff : random.int(0x1000000);
    out.set([(length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff], field);
    return { bytes: out, note: `${length} at ${field}` };
  },
  'inserted bytes': (bytes, random) => {
    const at = random.int(bytes.length + 1);
    const count = random.between(1, 4096);
    return { bytes: concat([bytes.subarray(0, at), random.bytes(count), bytes.subarray(at)]), note: `${count} at ${at}` };
  },
  'repeated bytes': (bytes, random) => {
    const start = random.int(bytes.length);
    const slice = bytes.subarray(start, start + random.between(1, 4096));
    const times = random.between(2, 200);
    return { bytes: concat([bytes.subarray(0, start), ...Array<Uint8Array>(times).fill(slice), bytes.subarray(start + slice.length)]), note: `${slice.length} x${times} at ${start}` };
  },
};

export function fuzzSession(recordings: readonly RecordedPublish[], seed: number): FuzzSession {
  const random = new SeededRandom(seed);
  const recording = random.pick(recordings);
  const streamName = sessionStreamName(seed);
  const mutations: string[] = [];
  let bytes: Uint8Array;
  let lengthFields: number[] = [];
  if (random.chance(0.25)) {
    mutations.push('as recorded');
    bytes = replaceAscii(recording.bytes, RECORDED_STREAM_NAME, streamName);
  } else {
    let messages = recording.messages.map((message) => ({ ...message, payload: replaceAscii(message.payload, RECORDED_STREAM_NAME, streamName) }));
    const count = random.between(0, 3);
    for (let i = 0; i < count; i += 1) {
      const name = random.pick(Object.keys(messageMutations));
      const result = messageMutations[name]!(messages, random);
      messages = result.messages;
      mutations.push(`${name} (${result.note})`);
    }
    const { layout, note } = randomLayout(messages, random);
    mutations.push(note);
    const announced = layout.chunkSize === 128 ? [] : [{ csid: 2, type: MSG_SET_CHUNK_SIZE, streamId: 0, timestamp: 0, payload: uint32Payload(announcedChunkSize(layout.chunkSize, random)) }];
    // The origin refuses chunks smaller than 128 bytes: what follows them is cut short (it costs the most to make).
    const maxBytes = layout.chunkSize < 128 ? TINY_CHUNKS_BYTES : MAX_SESSION_BYTES - recording.handshake.length;
    const laidOut = layOutChunks([...announced, ...messages], { ...layout, csids: [...announced.map(() => 2), ...layout.csids] }, maxBytes);
    bytes = concat([recording.handshake, laidOut.bytes]);
    lengthFields = laidOut.lengthFields.map((field) => (field < 0 ? field : field + recording.handshake.length));
  }
  const damage = random.between(0, 2);
  for (let i = 0; i < damage; i += 1) {
    const name = random.pick(Object.keys(byteMutations));
    const result = byteMutations[name]!(bytes, random, lengthFields);
    bytes = result.bytes;
    mutations.push(`${name} (${result.note})`);
  }
  if (bytes.length > MAX_SESSION_BYTES) bytes = bytes.subarray(0, MAX_SESSION_BYTES);
  return { seed, source: recording.source, streamName, mutations, bytes };
}

function randomLayout(messages: readonly RtmpMessage[], random: SeededRandom): { layout: ChunkLayout; note: string } {
  const chunkSize = random.pick([128, 128, 4096, 60_000, 1, 7, 0x7fffffff, random.between(2, 70_000)]);
  const csidMode = random.pick(['as sent', 'as sent', 'shuffled', 'two-byte', 'three-byte', 'one per message']);
  const shuffle = new Map<number, number>();
  const csids = messages.map((message) => {
    switch (csidMode) {
      case 'shuffled':
        if (!shuffle.has(message.csid)) shuffle.set(message.csid, random.between(2, 63));
        return shuffle.get(message.csid)!;
      case 'two-byte':
        return 64 + (message.csid % 256);
      case 'three-byte':
        return Math.min(65_599, 320 + message.csid * random.between(1, 1000));
      case 'one per message':
        return random.between(2, 65_599);
      default:
        return message.csid;
    }
  });
  const interleave = random.chance(0.6) ? 1 : random.between(2, 4);
  const compress = random.chance(0.5);
  return {
    layout: { chunkSize, csids, interleave, compress },
    note: `chunks of ${chunkSize}, chunk streams ${csidMode}, interleave ${interleave}${compress ? ', compressed' : ''}`,
  };
}

/** Mostly the size the chunks really have; sometimes a lie (0, or another size). */
function announcedChunkSize(chunkSize: number, random: SeededRandom): number {
  if (random.chance(0.85)) return chunkSize;
  return random.pick([0, 1, 0x80000000, 0xffffffff, random.between(1, 70_000)]);
}

/** Random AMF0: valid markers with lying lengths, deep nesting, markers AMF0 reserves or servers refuse. */
function amfGarbage(random: SeededRandom, depth: number): Uint8Array {
  const marker = random.int(depth > 40 ? 3 : 0x12);
  switch (marker) {
    case 0x00: // number
      return concat([Uint8Array.of(0), random.bytes(8)]);
    case 0x02: {
      // string: its 16-bit length may exceed what follows
      const length = random.chance(0.3) ? 0xffff : random.int(64);
      return concat([Uint8Array.of(2, length >> 8, length & 0xff), random.bytes(Math.min(length, random.int(80)))]);
    }
    case 0x03:
    case 0x08:
    case 0x0a: {
      // object, ECMA array, strict array: nested values, with a count that may lie
      const parts: Uint8Array[] = [Uint8Array.of(marker)];
      if (marker !== 0x03) parts.push(uint32Payload(random.chance(0.3) ? 0xffffffff : random.int(16)));
      const fields = random.int(depth > 20 ? 2 : 6);
      for (let i = 0; i < fields; i += 1) {
        if (marker !== 0x0a) {
          const key = random.bytes(random.int(12));
          parts.push(Uint8Array.of(0, key.length), key);
        }
        parts.push(amfGarbage(random, depth + 1));
      }
      if (random.chance(0.8)) parts.push(Uint8Array.of(0, 0, 9));
      return concat(parts);
    }
    case 0x0c: {
      // long string: a 32-bit length, often a lie
      const length = random.chance(0.5) ? 0xffffffff : random.int(256);
      return concat([Uint8Array.of(0x0c), uint32Payload(length), random.bytes(Math.min(length, random.int(300)))]);
    }
    default:
      // boolean, movieclip, null, undefined, reference, end, date, unsupported, recordset, XML, typed object, AMF3
      return concat([Uint8Array.of(marker), random.bytes(random.int(12))]);
  }
}

function replaced(messages: readonly RtmpMessage[], index: number, message: RtmpMessage): RtmpMessage[] {
  return messages.map((existing, at) => (at === index ? message : existing));
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
