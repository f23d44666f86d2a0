import { Type, type Static } from 'typebox';
import { PublishAbrStatus } from './abr-contract.js';
import { DisplayName, OriginId, SessionId, StreamName } from './fields.js';

/** A URL template for one protocol: its scheme, then somewhere `{stream_key}`. */
const urlTemplate = (schemes: string, example: string) =>
  Type.String({ maxLength: 512, pattern: `^(?:${schemes})://\\S*\\{stream_key\\}\\S*$`, description: `e.g. ${example}` });

/** More than any origin carries; bounds the work one heartbeat can cause. */
export const MAX_HEARTBEAT_PUBLISHES = 5000;

/**
 * The largest heartbeat the API reads: MAX_HEARTBEAT_PUBLISHES publishes and as many waiting
 * streams at their longest names and ids, each publish with its ingest (under 700 bytes a
 * publish), fit with room to spare; fastify's default of 1 MiB would not.
 */
export const MAX_HEARTBEAT_BYTES = 8 * 1024 * 1024;

/** An RFC 6381 codec string as HLS CODECS carries it: letters, digits and dots. */
const codecString = (example: string) =>
  Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9][A-Za-z0-9.]*$', description: `RFC 6381, e.g. ${example}` });

/** What the origin receives from a publisher, as its packager reads it. */
export const PublishIngest = Type.Object({
  bitrate_bps: Type.Integer({ minimum: 0, description: 'Bits per second received over the last heartbeat interval, video and audio as sent' }),
  video: Type.Union(
    [
      Type.Object({
        codec: codecString('avc1.64001f'),
        width: Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()], { description: 'From the SPS; null when it cannot be read' }),
        height: Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.Null()], { description: 'From the SPS; null when it cannot be read' }),
        fps: Type.Union([Type.Number({ minimum: 0, maximum: 1000 }), Type.Null()], {
          description: 'Frames per second of media time over the last heartbeat interval; null before two readings',
        }),
      }),
      Type.Null(),
    ],
    { description: 'null: no video track (yet)' },
  ),
  audio: Type.Union(
    [
      Type.Object({
        codec: codecString('mp4a.40.2'),
        sample_rate: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
        channels: Type.Integer({ minimum: 1, maximum: 64 }),
      }),
      Type.Null(),
    ],
    { description: 'null: no audio track (yet)' },
  ),
  abr: Type.Optional(PublishAbrStatus),
});
export type PublishIngest = Static<typeof PublishIngest>;

/** A publish an origin holds, as its heartbeat reports it. */
export const HeldPublish = Type.Object({
  session_id: SessionId,
  stream: StreamName,
  key_generation: Type.Integer({ minimum: 0, description: 'As /authorize answered' }),
  ingest: Type.Optional(PublishIngest),
});
export type HeldPublish = Static<typeof HeldPublish>;

/** `PUT /ingests/{origin_id}`: an origin's heartbeat. */
export const Heartbeat = Type.Object({
  name: DisplayName,
  region: DisplayName,
  priority: Type.Integer({ minimum: 0, maximum: 1_000_000, description: 'Lower is preferred' }),
  url_templates: Type.Object({
    rtmp: urlTemplate('rtmps?', 'rtmp://fsn1.ingest.example:1935/stream/{stream_key}'),
    srt: Type.Optional(urlTemplate('srt', 'srt://fsn1.ingest.example:1337?streamid={stream_key}')),
    websocket: Type.Optional(urlTemplate('wss?', 'wss://fsn1.ingest.example?stream_key={stream_key}')),
  }),
  load: Type.Object({
    streams: Type.Integer({ minimum: 0 }),
    bandwidth_bps: Type.Integer({ minimum: 0 }),
  }),
  publishes: Type.Array(HeldPublish, { maxItems: MAX_HEARTBEAT_PUBLISHES }),
  waiting: Type.Optional(
    Type.Array(StreamName, {
      maxItems: MAX_HEARTBEAT_PUBLISHES,
      description: "Streams held here without a publisher (its fallback plays, or its pushes wait for the publisher's return)",
    }),
  ),
});
export type Heartbeat = Static<typeof Heartbeat>;

export const HeartbeatAnswer = Type.Object({
  ttl_seconds: Type.Integer({ description: 'The origin is listed this long without another heartbeat' }),
  disconnect: Type.Array(Type.String(), { description: 'Session ids the origin must disconnect now' }),
  ended: Type.Array(Type.String(), {
    description:
      'Streams (of publishes or waiting) that no longer exist: the origin ends each for good now (publisher cut, ' +
      'fallback stopped, pushes closed, playlist ended, its fallback file removed), with no reconnect window',
  }),
  handed_over: Type.Optional(
    Type.Array(Type.String(), {
      description:
        'Waiting streams whose publisher came back on another origin, which took the lease over: the origin stops ' +
        'their fallback and pushes now and leaves their playlist as it is (no ENDLIST), so viewers move to the new ' +
        'origin without seeing an end; the fallback file is kept',
    }),
  ),
  restream: Type.Record(StreamName, Type.Integer({ minimum: 0 }), {
    description:
      'The restream version of each reported stream; when it differs from the one the origin has, it fetches ' +
      'GET /internal/streams/{stream}/restream. 0: no targets and no fallback ever configured.',
  }),
});
export type HeartbeatAnswer = Static<typeof HeartbeatAnswer>;

export const OriginParams = Type.Object({ origin_id: OriginId });

/** `DELETE /ingests/{origin_id}/publishes/{session_id}?stream=`: a publisher left. */
export const PublishParams = Type.Object({ origin_id: OriginId, session_id: SessionId });
export const PublishQuery = Type.Object({ stream: StreamName });
