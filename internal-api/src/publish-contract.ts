import { Type, type Static } from 'typebox';
import { OriginId, PublishName, SessionId } from './fields.js';
import { PublishAbr } from './abr-contract.js';
import { PublishRecording } from './recording-contract.js';

/**
 * `GET|POST /authorize`: may this stream key or open name publish? The request as nginx-rtmp's
 * `on_publish` sends it (plus `call`, `tcurl`, … which are accepted and ignored) and as origins
 * send it, with their own ids for the stream's one-publisher lease. `name` may be a stream key:
 * a secret that is never logged.
 */
export const PublishRequest = Type.Object({
  name: PublishName,
  app: Type.Optional(Type.String({ maxLength: 256 })),
  addr: Type.Optional(Type.String({ maxLength: 256 })),
  origin_id: Type.Optional(OriginId),
  session_id: Type.Optional(SessionId),
});
export type PublishRequest = Static<typeof PublishRequest>;

/** 200: the publish may go ahead under `name`. Refusals are 403 (denied) and 409 (already publishing). */
export const PublishAllowed = Type.Object({
  allowed: Type.Literal(true),
  name: Type.String({ description: 'Package under this name: the stream id, or the open name' }),
  key_generation: Type.Integer({ minimum: 0, description: 'Report it in heartbeats; 0 for an open name' }),
  /** Absent (an older API): not recorded. */
  recording: Type.Optional(PublishRecording),
  /** Absent (an older API): no ABR. */
  abr: Type.Optional(PublishAbr),
});
export type PublishAllowed = Static<typeof PublishAllowed>;
