/**
 * RTMP message types, the chunk streams a publisher uses, and the bodies of the control and
 * command messages a publisher exchanges with a server (RTMP spec 1.0, sections 5.4, 6 and 7).
 */
import { decodeAmf0, encodeAmf0, type AmfObject, type AmfValue } from './amf0.js';
import { TargetProtocolError } from './restream-errors.js';

export const MSG_SET_CHUNK_SIZE = 1;
export const MSG_ACKNOWLEDGEMENT = 3;
export const MSG_USER_CONTROL = 4;
export const MSG_WINDOW_ACK_SIZE = 5;
export const MSG_SET_PEER_BANDWIDTH = 6;
export const MSG_AUDIO = 8;
export const MSG_VIDEO = 9;
export const MSG_COMMAND_AMF3 = 17;
export const MSG_DATA_AMF0 = 18;
export const MSG_COMMAND_AMF0 = 20;

/** Protocol control messages must use chunk stream 2 (spec 5.4). */
export const CS_CONTROL = 2;
/** Connection-level commands, as ffmpeg and OBS send them. */
export const CS_COMMAND = 3;
export const CS_AUDIO = 4;
export const CS_DATA = 5;
export const CS_VIDEO = 6;
/** NetStream commands (publish), ffmpeg's "source channel". */
export const CS_STREAM_COMMAND = 8;

export const USER_CONTROL_STREAM_BEGIN = 0;
export const USER_CONTROL_PING_REQUEST = 6;
export const USER_CONTROL_PING_RESPONSE = 7;

/** A payload that is one 32-bit big-endian number: chunk size, acknowledgement, window size. */
export function uint32Payload(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value % 2 ** 32);
  return out;
}

/** Event type (16 bits), then the event data: a 32-bit stream id or timestamp. */
export function userControlPayload(event: number, value: number): Uint8Array {
  const out = new Uint8Array(6);
  const view = new DataView(out.buffer);
  view.setUint16(0, event);
  view.setUint32(2, value % 2 ** 32);
  return out;
}

export interface UserControlEvent {
  event: number;
  value: number;
}

export function parseUserControl(payload: Uint8Array): UserControlEvent | undefined {
  if (payload.length < 6) return undefined;
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return { event: view.getUint16(0), value: view.getUint32(2) };
}

export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** The command object, null for most NetStream commands. */
  object: AmfValue;
  args: AmfValue[];
}

/** Command name (string), transaction id (number), command object, then the arguments. */
export function encodeCommand(name: string, transactionId: number, object: AmfValue, ...args: AmfValue[]): Uint8Array {
  return encodeAmf0([name, transactionId, object, ...args]);
}

/** An AMF0 command, or an AMF3 one (type 17), which is AMF0 after one format byte. */
export function decodeCommand(type: number, payload: Uint8Array): RtmpCommand {
  const values = decodeAmf0(payload, type === MSG_COMMAND_AMF3 ? 1 : 0);
  const [name, transactionId, object = null, ...args] = values;
  if (typeof name !== 'string') throw new TargetProtocolError('a command message without a command name');
  return { name, transactionId: typeof transactionId === 'number' ? transactionId : 0, object, args };
}

export interface StatusInfo {
  level: string;
  code: string;
  description: string;
}

/** The info object of onStatus, _result or _error (the first argument), if it has a code. */
export function statusInfo(command: RtmpCommand): StatusInfo | undefined {
  const info = command.args[0] ?? command.object;
  if (!isObject(info) || typeof info.code !== 'string') return undefined;
  return {
    level: typeof info.level === 'string' ? info.level : '',
    code: info.code,
    description: typeof info.description === 'string' ? info.description : '',
  };
}

function isObject(value: AmfValue): value is AmfObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}
