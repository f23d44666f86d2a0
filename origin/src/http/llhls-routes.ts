import { Readable } from 'node:stream';
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
import { SOURCE_VARIANT } from '../../../llhls-contract/src/llhls-names.js';
import type { HintedPartFollower, LowLatencyVariants } from '../packaging/low-latency-stream.js';
import {
  DeliveryDirectiveError,
  MediaNotFoundError,
  PlaylistUpdateTimeoutError,
  TooManyBlockedRequestsError,
  sendError,
} from './http-errors.js';
import { sendStoredRanges } from './send-file.js';

/**
 * The origin's LL-HLS answers, from LowLatencyStream: `/<stream>/ll.m3u8` with blocking reload
 * and delta updates, and the init sections, parts and segments it lists, from memory or, for
 * finished segments older than the parts listed, from the file the stream spilled them to.
 * Called by hlsFileRoutes for those names; everything else is served from HLS_PATH.
 */

/** What the routes read of a stream's LL-HLS (and DASH) output; LowLatencyStream is one. */
export interface LowLatencyOutput extends DashOutput {
  readonly playlist: LowLatencyPlaylist;
  readonly waiters: ReloadWaiters;
  /** See LowLatencyStream.followHintedPart. */
  followHintedPart(uri: string, follower: HintedPartFollower): (() => void) | undefined;
  readonly partFollowerCount: number;
  /** Its ABR variants while its stream has a ladder (LowLatencyLadder). */
  readonly variants?: Pick<LowLatencyVariants, 'multivariantPlaylist' | 'rendition'>;
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

/**
 * The output an ABR variant's LL files come from: the source's own (`source-ll.m3u8`, and its
 * unprefixed media, which stay served with ABR or without) or a rendition's; undefined for a
 * variant the stream does not have (`source` without ABR included: its playlist is `ll.m3u8`).
 */
export function lowLatencyVariantOutput(source: LowLatencyOutput | undefined, variant: string | undefined): LowLatencyOutput | undefined {
  if (variant === undefined) return source;
  if (variant === SOURCE_VARIANT) return source?.variants ? source : undefined;
  return source?.variants?.rendition(variant);
}

/** `GET|HEAD /<stream>/ll.m3u8` of an ABR stream: the multivariant playlist, whatever the query asks (it is not a media playlist). */
export function sendMultivariantPlaylist(request: FastifyRequest, reply: FastifyReply, stream: string, file: string, text: string | undefined): FastifyReply {
  if (text === undefined) return sendError(reply, new MediaNotFoundError(`${stream}/${file}`));
  return reply
    .header('content-type', LOW_LATENCY_CONTENT_TYPES.playlist)
    .header('cache-control', PLAYLIST_CACHE_CONTROL)
    .send(request.method === 'HEAD' ? undefined : text);
}

/** `GET|HEAD /<stream>/ll.m3u8[?_HLS_msn=&_HLS_part=&_HLS_skip=]`, or an ABR variant's `<variant>-ll.m3u8`. */
export async function sendLowLatencyPlaylist(
  request: FastifyRequest,
  reply: FastifyReply,
  stream: string,
  file: string,
  output: LowLatencyOutput | undefined,
): Promise<FastifyReply> {
  const path = `${stream}/${file}`;
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
 * `GET|HEAD /<stream>/init-<msn>.mp4`, `/<stream>/<msn>.m4s`, `/<stream>/<msn>.<part>.m4s`. The
 * hinted part (EXT-X-PRELOAD-HINT) may be asked for before it exists: the answer starts with its
 * first chunk and follows the fragmenter chunk by chunk (chunked transfer, no Content-Length),
 * ending when the part is complete; at most three target durations pass before the first chunk
 * (then 503). A HEAD waits for the whole part.
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
  const buffers = output?.file(file);
  const spilled = buffers ? undefined : output?.spilledFile(file);
  if (spilled) return sendStoredRanges(request, reply, { file: spilled, label: path, contentType: contentTypeOf(name), cacheControl: MEDIA_CACHE_CONTROL });
  if (!buffers && output && name.kind === 'part') {
    if (blockedCount(output) >= MAX_BLOCKED_REQUESTS_PER_STREAM) {
      return sendError(reply, new TooManyBlockedRequestsError(stream, MAX_BLOCKED_REQUESTS_PER_STREAM));
    }
    const followed = await followHintedPart(reply, output, file, request.method === 'HEAD');
    if (followed.kind === 'gone') return reply;
    if (followed.kind === 'timed-out') return sendError(reply, new PlaylistUpdateTimeoutError(path, followed.afterSeconds));
    if (followed.kind === 'streaming') {
      return reply
        .header('content-type', LOW_LATENCY_CONTENT_TYPES.media)
        .header('cache-control', MEDIA_CACHE_CONTROL)
        .send(followed.body);
    }
    // Stored now: in memory, or already on disk if its segment was written meanwhile.
    if (followed.kind === 'complete') return sendLowLatencyMedia(request, reply, stream, file, name, output);
  }
  // A part that is neither stored nor hinted (too old, too far ahead, or the stream ended first): 404.
  if (!buffers) return sendError(reply, new MediaNotFoundError(path));
  return sendWhole(request, reply, name, buffers);
}

function contentTypeOf(name: LowLatencyMediaName): string {
  return name.kind === 'init' ? LOW_LATENCY_CONTENT_TYPES.init : LOW_LATENCY_CONTENT_TYPES.media;
}

function sendWhole(request: FastifyRequest, reply: FastifyReply, name: LowLatencyMediaName, buffers: readonly Uint8Array[]): FastifyReply {
  const body = buffers.length === 1 ? toBuffer(buffers[0]!) : Buffer.concat(buffers.map(toBuffer));
  return reply
    .header('content-type', contentTypeOf(name))
    .header('cache-control', MEDIA_CACHE_CONTROL)
    .header('content-length', body.length)
    .send(request.method === 'HEAD' ? undefined : body);
}

type FollowOutcome =
  /** Not the hinted part, or it was dropped before its first chunk. */
  | { kind: 'not-hinted' }
  | { kind: 'timed-out'; afterSeconds: number }
  /** The client left first. */
  | { kind: 'gone' }
  /** The part is stored: send it whole. */
  | { kind: 'complete' }
  /** Its first chunk is here: `body` has it and follows the rest. */
  | { kind: 'streaming'; body: Readable };

/**
 * Follows the hinted part `file` until its first chunk (or, with `whole`, until it is complete),
 * the deadline, or the client leaving. Once streaming, a part dropped half way (the stream
 * handed over or closed) destroys the body, so the client sees a truncated answer, never a
 * short part.
 */
function followHintedPart(reply: FastifyReply, output: LowLatencyOutput, file: string, whole: boolean): Promise<FollowOutcome> {
  const timeoutSeconds = blockingTimeoutMs(output.playlist) / 1000;
  return new Promise<FollowOutcome>((resolve) => {
    let body: Readable | undefined;
    let settled = false;
    let unfollow: (() => void) | undefined;
    const settle = (outcome: FollowOutcome): void => {
      if (settled) return;
      settled = true;
      if (outcome.kind !== 'streaming') reply.raw.off('close', onClose);
      resolve(outcome);
    };
    const onClose = (): void => {
      unfollow?.();
      body?.destroy();
      settle({ kind: 'gone' });
    };
    reply.raw.once('close', onClose);
    unfollow = output.followHintedPart(file, (progress) => {
      if (progress.kind === 'chunk') {
        if (whole) return;
        body ??= new Readable({ read() {} });
        body.push(toBuffer(progress.data));
        settle({ kind: 'streaming', body });
        return;
      }
      reply.raw.off('close', onClose);
      if (progress.kind === 'complete') {
        if (body) body.push(null);
        else settle({ kind: 'complete' });
      } else if (progress.kind === 'dropped') {
        if (body) body.destroy(new Error(`part ${file} was dropped before it was complete`));
        else settle({ kind: 'not-hinted' });
      } else {
        settle({ kind: 'timed-out', afterSeconds: timeoutSeconds });
      }
    });
    if (!unfollow) settle({ kind: 'not-hinted' });
  });
}

/** Requests a stream holds open: blocked playlist reloads and followers of the hinted part. */
function blockedCount(output: LowLatencyOutput): number {
  return output.waiters.size + output.partFollowerCount;
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
  if (blockedCount(output) >= MAX_BLOCKED_REQUESTS_PER_STREAM) {
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
