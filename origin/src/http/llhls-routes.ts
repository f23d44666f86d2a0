import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  blockingTimeoutMs,
  decideReload,
  parseDeliveryDirectives,
  type LowLatencyMediaName,
  type LowLatencyPlaylist,
  type ReloadTarget,
  type ReloadWaiters,
  type WaitOutcome,
} from '../llhls/index.js';
import type { DashOutput } from './dash-routes.js';
import {
  DeliveryDirectiveError,
  MediaNotFoundError,
  PlaylistUpdateTimeoutError,
  TooManyBlockedRequestsError,
  sendError,
} from './http-errors.js';

/**
 * The origin's LL-HLS answers, from memory: `/<stream>/ll.m3u8` with blocking reload and delta
 * updates, and the init sections, parts and segments it lists. Called by hlsFileRoutes for those
 * names; everything else is served from HLS_PATH.
 */

/** What the routes read of a stream's LL-HLS (and DASH) output; LowLatencyStream is one. */
export interface LowLatencyOutput extends DashOutput {
  readonly playlist: LowLatencyPlaylist;
  readonly waiters: ReloadWaiters;
  file(name: string): readonly Uint8Array[] | undefined;
}

/** The LL-HLS outputs by stream name; LowLatencyStreams is one. */
export interface LowLatencyOutputs {
  get(stream: string): LowLatencyOutput | undefined;
}

/**
 * Blocked requests one stream holds at most. Edges send one request per distinct query, so an
 * origin sees a handful per stream; this bounds what players hitting the origin directly can
 * hold open (each costs a socket and a timer).
 */
export const MAX_BLOCKED_REQUESTS_PER_STREAM = 1_000;

export const LOW_LATENCY_CONTENT_TYPES = {
  playlist: 'application/vnd.apple.mpegurl',
  /** The IANA type for CMAF/ISOBMFF media segments (RFC 8216bis 3.1.2 allows video/mp4 as well). */
  media: 'video/iso.segment',
  init: 'video/mp4',
} as const;

/**
 * The playlist changes with every part: `no-cache`, as index.m3u8. The answer to a blocking
 * request holds at least what it asked for, so a cache may reuse it for that same query a
 * little (the edge keys on the query): one second, under a part's lifetime at the live edge
 * times three.
 */
export const PLAYLIST_CACHE_CONTROL = 'no-cache';
const BLOCKING_PLAYLIST_CACHE_CONTROL = 'public, max-age=1';
/** Names hold the media sequence number, which only grows: a name's bytes never change. */
export const MEDIA_CACHE_CONTROL = 'public, max-age=31536000, immutable';

/** `GET|HEAD /<stream>/ll.m3u8[?_HLS_msn=&_HLS_part=&_HLS_skip=]`. */
export async function sendLowLatencyPlaylist(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: string,
  output: LowLatencyOutput | undefined,
): Promise<FastifyReply> {
  const path = `${stream}/ll.m3u8`;
  if (!output) return sendError(reply, new MediaNotFoundError(path));
  const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
  const parsed = parseDeliveryDirectives(query);
  if (parsed.kind === 'malformed') return sendError(reply, new DeliveryDirectiveError(parsed.reason));
  const { directives } = parsed;
  const decision = decideReload(output.playlist, directives);
  if (decision.kind === 'refuse') return sendError(reply, new DeliveryDirectiveError(decision.reason));
  if (decision.kind === 'wait') {
    const outcome = await waitFor(reply, output, stream, decision.target, decision.timeoutMs);
    if (outcome === 'gone') return reply;
    if (outcome instanceof Error) return sendError(reply, outcome);
    if (outcome.kind === 'timed-out') return sendError(reply, new PlaylistUpdateTimeoutError(path, decision.timeoutMs / 1000));
    if (outcome.kind === 'closed') return sendError(reply, new MediaNotFoundError(path));
  }
  const text = output.playlist.render({ skip: directives.skip });
  return reply
    .header('content-type', LOW_LATENCY_CONTENT_TYPES.playlist)
    .header('cache-control', directives.msn === undefined ? PLAYLIST_CACHE_CONTROL : BLOCKING_PLAYLIST_CACHE_CONTROL)
    .send(request.method === 'HEAD' ? undefined : text);
}

/**
 * `GET|HEAD /<stream>/init-<msn>.mp4`, `/<stream>/<msn>.m4s`, `/<stream>/<msn>.<part>.m4s`. A
 * request for the hinted part (EXT-X-PRELOAD-HINT) before it exists waits until it is listed
 * (at most three target durations, then 503) and gets it whole: parts are not yet streamed as
 * they are produced.
 */
export async function sendLowLatencyMedia(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: string,
  file: string,
  name: LowLatencyMediaName,
  output: LowLatencyOutput | undefined,
): Promise<FastifyReply> {
  const path = `${stream}/${file}`;
  let buffers = output?.file(file);
  if (!buffers && output && name.kind === 'part' && isHinted(output.playlist, name)) {
    const target = { mediaSequenceNumber: name.mediaSequenceNumber, partIndex: name.partIndex };
    const timeoutMs = blockingTimeoutMs(output.playlist);
    const outcome = await waitFor(reply, output, stream, target, timeoutMs);
    if (outcome === 'gone') return reply;
    if (outcome instanceof Error) return sendError(reply, outcome);
    if (outcome.kind === 'timed-out') return sendError(reply, new PlaylistUpdateTimeoutError(path, timeoutMs / 1000));
    buffers = output.file(file);
  }
  // A hinted part the segment ended before is never made: 404, as RFC 8216bis 6.2.6 expects.
  if (!buffers) return sendError(reply, new MediaNotFoundError(path));
  const body = buffers.length === 1 ? toBuffer(buffers[0]!) : Buffer.concat(buffers.map(toBuffer));
  return reply
    .header('content-type', name.kind === 'init' ? LOW_LATENCY_CONTENT_TYPES.init : LOW_LATENCY_CONTENT_TYPES.media)
    .header('cache-control', MEDIA_CACHE_CONTROL)
    .header('content-length', body.length)
    .send(request.method === 'HEAD' ? undefined : body);
}

function isHinted(playlist: LowLatencyPlaylist, name: { mediaSequenceNumber: number; partIndex: number }): boolean {
  const hint = playlist.preloadHint;
  return hint !== undefined && hint.mediaSequenceNumber === name.mediaSequenceNumber && hint.partIndex === name.partIndex;
}

/**
 * Holds the request until the playlist holds `target`, its deadline passes, or the client goes
 * away ('gone': its wait is cancelled, nothing is sent).
 */
async function waitFor(
  reply: FastifyReply,
  output: LowLatencyOutput,
  stream: string,
  target: ReloadTarget,
  timeoutMs: number,
): Promise<WaitOutcome | 'gone' | TooManyBlockedRequestsError> {
  if (output.waiters.size >= MAX_BLOCKED_REQUESTS_PER_STREAM) {
    return new TooManyBlockedRequestsError(stream, MAX_BLOCKED_REQUESTS_PER_STREAM);
  }
  const pending = output.waiters.wait(target, timeoutMs);
  let onClose: (() => void) | undefined;
  const gone = new Promise<'gone'>((resolve) => {
    onClose = () => resolve('gone');
    reply.raw.once('close', onClose);
  });
  const outcome = await Promise.race([pending.outcome, gone]);
  reply.raw.off('close', onClose!);
  if (outcome === 'gone') pending.cancel();
  return outcome;
}

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}
