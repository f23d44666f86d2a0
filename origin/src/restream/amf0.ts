/**
 * AMF0 (Adobe "Action Message Format -- AMF 0", 2007), as RTMP commands and onMetaData carry it.
 * Covers the markers servers and encoders actually send; references, typed objects, XML and the
 * switch to AMF3 are refused.
 */
import { TargetProtocolError } from './restream-errors.js';

export type AmfValue = number | boolean | string | null | undefined | Date | AmfValue[] | AmfObject | AmfEcmaArray;

export interface AmfObject {
  [key: string]: AmfValue;
}

/** An ECMA array (associative array, marker 0x08): what onMetaData usually is. */
export class AmfEcmaArray {
  constructor(readonly entries: AmfObject) {}
}

const MARKER_NUMBER = 0x00;
const MARKER_BOOLEAN = 0x01;
const MARKER_STRING = 0x02;
const MARKER_OBJECT = 0x03;
const MARKER_NULL = 0x05;
const MARKER_UNDEFINED = 0x06;
const MARKER_ECMA_ARRAY = 0x08;
const MARKER_OBJECT_END = 0x09;
const MARKER_STRICT_ARRAY = 0x0a;
const MARKER_DATE = 0x0b;
const MARKER_LONG_STRING = 0x0c;

/** A string longer than this needs the long-string marker (32-bit length). */
const MAX_SHORT_STRING = 0xffff;
/** Nesting a server may send us; deeper is an attack or garbage, not a command. */
const MAX_DEPTH = 32;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });

/** Encodes values one after the other, as a command or data message body wants them. */
export function encodeAmf0(values: readonly AmfValue[]): Uint8Array {
  let size = 0;
  for (const value of values) size += valueSize(value);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const value of values) offset = writeValue(out, view, offset, value);
  return out;
}

/** Decodes every value in `data` from `offset` to the end. */
export function decodeAmf0(data: Uint8Array, offset = 0): AmfValue[] {
  const values: AmfValue[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  while (offset < data.length) {
    const read = readValue(data, view, offset, 0);
    values.push(read.value);
    offset = read.next;
  }
  return values;
}

/** Reads one value at `offset`; `next` is the offset after it. */
export function readAmf0Value(data: Uint8Array, offset: number): { value: AmfValue; next: number } {
  return readValue(data, new DataView(data.buffer, data.byteOffset, data.byteLength), offset, 0);
}

function stringBytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function valueSize(value: AmfValue): number {
  if (typeof value === 'number') return 9;
  if (typeof value === 'boolean') return 2;
  if (typeof value === 'string') {
    const length = stringBytes(value);
    return (length > MAX_SHORT_STRING ? 5 : 3) + length;
  }
  if (value === null || value === undefined) return 1;
  if (value instanceof Date) return 11;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + valueSize(item), 5);
  // Object end: an empty key (16 bits) and marker 0x09.
  if (value instanceof AmfEcmaArray) return 5 + propertiesSize(value.entries) + 3;
  return 1 + propertiesSize(value) + 3;
}

function propertiesSize(object: AmfObject): number {
  let size = 0;
  for (const [key, item] of Object.entries(object)) size += 2 + stringBytes(key) + valueSize(item);
  return size;
}

function writeValue(out: Uint8Array, view: DataView, offset: number, value: AmfValue): number {
  if (typeof value === 'number') {
    out[offset] = MARKER_NUMBER;
    view.setFloat64(offset + 1, value);
    return offset + 9;
  }
  if (typeof value === 'boolean') {
    out[offset] = MARKER_BOOLEAN;
    out[offset + 1] = value ? 1 : 0;
    return offset + 2;
  }
  if (typeof value === 'string') {
    const length = stringBytes(value);
    if (length > MAX_SHORT_STRING) {
      out[offset] = MARKER_LONG_STRING;
      view.setUint32(offset + 1, length);
      return offset + 5 + utf8Encoder.encodeInto(value, out.subarray(offset + 5)).written;
    }
    out[offset] = MARKER_STRING;
    return writeUtf8(out, view, offset + 1, value);
  }
  if (value === null) {
    out[offset] = MARKER_NULL;
    return offset + 1;
  }
  if (value === undefined) {
    out[offset] = MARKER_UNDEFINED;
    return offset + 1;
  }
  if (value instanceof Date) {
    // Milliseconds since the epoch (double), then a time zone (16 bits) that must be 0.
    out[offset] = MARKER_DATE;
    view.setFloat64(offset + 1, value.getTime());
    view.setInt16(offset + 9, 0);
    return offset + 11;
  }
  if (Array.isArray(value)) {
    out[offset] = MARKER_STRICT_ARRAY;
    view.setUint32(offset + 1, value.length);
    let next = offset + 5;
    for (const item of value) next = writeValue(out, view, next, item);
    return next;
  }
  if (value instanceof AmfEcmaArray) {
    // The count (32 bits) is a hint; readers rely on the object-end marker.
    out[offset] = MARKER_ECMA_ARRAY;
    view.setUint32(offset + 1, Object.keys(value.entries).length);
    return writeProperties(out, view, offset + 5, value.entries);
  }
  out[offset] = MARKER_OBJECT;
  return writeProperties(out, view, offset + 1, value);
}

function writeProperties(out: Uint8Array, view: DataView, offset: number, object: AmfObject): number {
  let next = offset;
  for (const [key, item] of Object.entries(object)) {
    next = writeUtf8(out, view, next, key);
    next = writeValue(out, view, next, item);
  }
  view.setUint16(next, 0);
  out[next + 2] = MARKER_OBJECT_END;
  return next + 3;
}

/** UTF-8 with a 16-bit length in front: a short string's body and an object key alike. */
function writeUtf8(out: Uint8Array, view: DataView, offset: number, text: string): number {
  const written = utf8Encoder.encodeInto(text, out.subarray(offset + 2)).written;
  view.setUint16(offset, written);
  return offset + 2 + written;
}

function need(data: Uint8Array, offset: number, bytes: number): void {
  if (offset + bytes > data.length) throw new TargetProtocolError('AMF0 value cut short');
}

function readUtf8(data: Uint8Array, view: DataView, offset: number, lengthBytes: 2 | 4): { value: string; next: number } {
  need(data, offset, lengthBytes);
  const length = lengthBytes === 2 ? view.getUint16(offset) : view.getUint32(offset);
  const start = offset + lengthBytes;
  need(data, start, length);
  return { value: utf8Decoder.decode(data.subarray(start, start + length)), next: start + length };
}

function readValue(data: Uint8Array, view: DataView, offset: number, depth: number): { value: AmfValue; next: number } {
  if (depth > MAX_DEPTH) throw new TargetProtocolError('AMF0 value nested too deep');
  need(data, offset, 1);
  const marker = data[offset];
  const at = offset + 1;
  switch (marker) {
    case MARKER_NUMBER:
      need(data, at, 8);
      return { value: view.getFloat64(at), next: at + 8 };
    case MARKER_BOOLEAN:
      need(data, at, 1);
      return { value: data[at] !== 0, next: at + 1 };
    case MARKER_STRING:
      return readUtf8(data, view, at, 2);
    case MARKER_LONG_STRING:
      return readUtf8(data, view, at, 4);
    case MARKER_NULL:
      return { value: null, next: at };
    case MARKER_UNDEFINED:
      return { value: undefined, next: at };
    case MARKER_DATE:
      need(data, at, 10);
      return { value: new Date(view.getFloat64(at)), next: at + 10 };
    case MARKER_OBJECT: {
      const read = readProperties(data, view, at, depth);
      return { value: read.object, next: read.next };
    }
    case MARKER_ECMA_ARRAY: {
      need(data, at, 4);
      const read = readProperties(data, view, at + 4, depth);
      return { value: new AmfEcmaArray(read.object), next: read.next };
    }
    case MARKER_STRICT_ARRAY: {
      need(data, at, 4);
      const count = view.getUint32(at);
      // Each item takes at least one byte: a larger count is a lie we must not allocate for.
      need(data, at + 4, count);
      const items: AmfValue[] = [];
      let next = at + 4;
      for (let i = 0; i < count; i += 1) {
        const read = readValue(data, view, next, depth + 1);
        items.push(read.value);
        next = read.next;
      }
      return { value: items, next };
    }
    default:
      throw new TargetProtocolError(`unsupported AMF0 marker 0x${(marker ?? 0).toString(16)}`);
  }
}

function readProperties(data: Uint8Array, view: DataView, offset: number, depth: number): { object: AmfObject; next: number } {
  const object: AmfObject = {};
  let next = offset;
  for (;;) {
    const key = readUtf8(data, view, next, 2);
    if (key.value === '' && data[key.next] === MARKER_OBJECT_END) return { object, next: key.next + 1 };
    const item = readValue(data, view, key.next, depth + 1);
    // A plain object would let "__proto__" from the wire change its prototype.
    Object.defineProperty(object, key.value, { value: item.value, enumerable: true, writable: true, configurable: true });
    next = item.next;
  }
}
