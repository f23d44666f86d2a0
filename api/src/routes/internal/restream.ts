import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { INTERNAL_PATHS, fillPath } from '../../../../internal-api/src/paths.js';
import {
  FALLBACK_CONTENT_TYPE,
  FALLBACK_VERSION_HEADER,
  RestreamConfig,
  RestreamParams,
  StatusReport,
} from '../../../../internal-api/src/restream-contract.js';
import { FallbackNotFoundError, StreamNotFoundError, errorResponses } from '../../errors.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import type { OpenNames } from '../../publish/open-names.js';
import { ingestUrlOf, type WellKnownPlatform } from '../../restream/platforms.js';
import { normalizeLastError } from '../../restream/restream-schemas.js';
import { isStreamIdShaped } from '../../schemas.js';
import type { FallbackStore } from '../../store/fallback-store.js';
import type { RestreamStatusStore } from '../../store/restream-status-store.js';
import type { RestreamTargetStore } from '../../store/restream-target-store.js';

export interface RestreamRoutesOptions {
  targets: Pick<RestreamTargetStore, 'config'>;
  statuses: Pick<RestreamStatusStore, 'record'>;
  fallbacks: Pick<FallbackStore, 'get'>;
  files: Pick<FallbackFiles, 'open'>;
  openNames: OpenNames;
  platformUrls: Readonly<Record<WellKnownPlatform, string>>;
}

/**
 * Internal: the origin holding a live stream reads its restream configuration (when the version
 * in its heartbeat answer changes), reports how each push is doing, and downloads the fallback.
 * Target configuration lives here, so whichever origin the publisher reaches can push.
 */
export const restreamRoutes: FastifyPluginAsyncTypebox<RestreamRoutesOptions> = async (app, options) => {
  const { targets, statuses, fallbacks, files, openNames, platformUrls } = options;

  /** Open names (ALLOWED_STREAMS) exist but never have targets; anything else unknown is 404. */
  const requireOpenName = (name: string) => {
    if (isStreamIdShaped(name) || !openNames.allows(name)) throw new StreamNotFoundError(name);
  };

  app.get(
    INTERNAL_PATHS.restream,
    {
      schema: {
        summary: "A stream's restream targets with their real keys, and its fallback video, for the origin holding it",
        params: RestreamParams,
        response: { 200: RestreamConfig, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const config = isStreamIdShaped(id) ? await targets.config(id) : null;
      if (!config) {
        requireOpenName(id);
        return { version: 0, targets: [], fallback: null };
      }
      return {
        version: config.version,
        targets: config.targets.map((target) => ({
          id: target.id,
          url: ingestUrlOf(target, platformUrls),
          stream_key: target.streamKey,
          enabled: target.enabled,
          retry: { attempts: target.retry.attempts, delay_s: target.retry.delayS },
        })),
        fallback: config.fallback ? { version: config.fallback.version, url: fillPath(INTERNAL_PATHS.fallback, { id }) } : null,
      };
    },
  );

  app.put(
    INTERNAL_PATHS.restreamStatus,
    {
      schema: {
        summary: "The origin's report of each push of a live stream; shown for RESTREAM_STATUS_TTL_SECONDS",
        description:
          'Send it when a push changes state and at least every few seconds while live (bytes and bitrate move); ' +
          'a target not reported for RESTREAM_STATUS_TTL_SECONDS shows status null. Statuses of unknown targets are dropped.',
        params: RestreamParams,
        body: StatusReport,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const { origin_id: originId, targets: reported } = request.body;
      if (isStreamIdShaped(id)) {
        const recorded = await statuses.record(
          id,
          originId,
          reported.map((status) => ({
            targetId: status.id,
            state: status.state,
            since: status.since,
            bytesSent: status.bytes_sent,
            bitrateBps: status.bitrate_bps,
            attempts: status.attempts,
            lastError: normalizeLastError(status.last_error),
            nextRetryAt: status.next_retry_at ?? null,
            skippedKeyframes: status.skipped_keyframes,
          })),
        );
        if (!recorded) throw new StreamNotFoundError(id);
      } else {
        requireOpenName(id);
      }
      return reply.code(204).send(null);
    },
  );

  app.get(
    INTERNAL_PATHS.fallback,
    {
      schema: {
        summary: "The stream's converted fallback video (FLV: H.264 + AAC); cache it by the version in the restream configuration",
        params: RestreamParams,
        response: {
          200: {
            description: `The FLV; headers ${FALLBACK_VERSION_HEADER} and etag name its version`,
            content: { [FALLBACK_CONTENT_TYPE]: { schema: Type.Unsafe<Readable>({ type: 'string', format: 'binary' }) } },
          },
          ...errorResponses(400, 401, 404, 503),
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const info = isStreamIdShaped(id) ? await fallbacks.get(id) : null;
      const file = info ? await files.open(id) : null;
      if (!info || !file) throw new FallbackNotFoundError(id);
      return reply
        .header('content-type', FALLBACK_CONTENT_TYPE)
        .header('content-length', String(file.sizeBytes))
        .header(FALLBACK_VERSION_HEADER, String(info.version))
        .header('etag', `"${info.version}"`)
        .send(file.stream);
    },
  );
};
