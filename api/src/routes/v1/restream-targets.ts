import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TargetNotFoundError, ValidationError, errorResponses, quote } from '../../errors.js';
import { maskStreamKey } from '../../restream/masked-stream-key.js';
import { PLATFORM_NAMES, ingestUrlOf, isWellKnown, type WellKnownPlatform } from '../../restream/platforms.js';
import {
  DEFAULT_RETRY,
  PlatformName,
  Retry,
  RetryChanges,
  TargetStatusBody,
  TargetStreamKey,
  TargetStreamUrl,
  statusBody,
} from '../../restream/restream-schemas.js';
import type { TargetAddressPolicy } from '../../restream/target-address-policy.js';
import { checkTargetUrl, displayUrl } from '../../restream/target-url.js';
import { DisplayName, RANDOM_ID_PATTERN, StreamId, Timestamp } from '../../schemas.js';
import type { RestreamStatusStore, ReportedTargetStatus } from '../../store/restream-status-store.js';
import type { RestreamTarget, RestreamTargetChanges, RestreamTargetStore } from '../../store/restream-target-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import { ownedStream } from './owned-stream.js';

export interface RestreamTargetRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  targets: RestreamTargetStore;
  statuses: Pick<RestreamStatusStore, 'read'>;
  addressPolicy: Pick<TargetAddressPolicy, 'check'>;
  platformUrls: Readonly<Record<WellKnownPlatform, string>>;
  maxTargets: number;
}

const TargetBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  platform: PlatformName,
  stream_url: Type.String({ description: "Where the origin pushes: the custom URL or the platform's ingest" }),
  stream_key: Type.String({ description: 'Masked: **** and the last 4 characters (nothing of a key shorter than 12)' }),
  enabled: Type.Boolean(),
  retry: Retry,
  status: Type.Union([TargetStatusBody, Type.Null()], {
    description: 'The push as the origin holding the live stream reports it; null while no origin does (not live)',
  }),
  created_at: Timestamp,
  updated_at: Timestamp,
});

const CreateTarget = Type.Object({
  platform: PlatformName,
  stream_key: TargetStreamKey,
  /** Required for custom; for the others it replaces the platform's ingest URL. */
  stream_url: Type.Optional(TargetStreamUrl),
  /** Default: the platform's name, or the host of a custom URL. */
  name: Type.Optional(DisplayName),
  enabled: Type.Optional(Type.Boolean({ description: 'Default true' })),
  retry: Type.Optional(RetryChanges),
});

const UpdateTarget = Type.Object(
  {
    name: Type.Optional(DisplayName),
    enabled: Type.Optional(Type.Boolean()),
    stream_key: Type.Optional(TargetStreamKey),
    stream_url: Type.Optional(
      Type.Union([TargetStreamUrl, Type.Null()], { description: "null: back to the platform's ingest (not for custom)" }),
    ),
    retry: Type.Optional(RetryChanges),
  },
  { minProperties: 1 },
);

const StreamParams = Type.Object({ id: StreamId });
const TargetParams = Type.Object({
  id: StreamId,
  target_id: Type.String({ pattern: RANDOM_ID_PATTERN, description: 'Restream target id' }),
});

/**
 * Where each of your streams is restreamed (seed 000): Twitch, YouTube, Kick, Facebook or any
 * RTMP(S) server. The stream key is write-only; every change reaches the origin holding the live
 * stream through the restream version in its heartbeat answer.
 */
export const restreamTargetRoutes: FastifyPluginAsyncTypebox<RestreamTargetRoutesOptions> = async (app, options) => {
  const { streams, targets, statuses, addressPolicy, platformUrls, maxTargets } = options;

  const toBody = (target: RestreamTarget, key: string, status: ReportedTargetStatus | undefined) => ({
    id: target.id,
    name: target.name,
    platform: target.platform,
    stream_url: ingestUrlOf(target, platformUrls),
    stream_key: maskStreamKey(key),
    enabled: target.enabled,
    retry: { attempts: target.retry.attempts, delay_s: target.retry.delayS },
    status: statusBody(status),
    created_at: target.createdAt,
    updated_at: target.updatedAt,
  });
  /** One target as answered, with its masked key and current status. */
  const answer = async (streamId: string, target: RestreamTarget) => {
    const [key, status] = await Promise.all([targets.streamKeyOf(streamId, target.id), statuses.read(streamId)]);
    return toBody(target, key ?? '', status.get(target.id));
  };

  /** A user-given URL: well formed, and its host not on a private network. Returns the host. */
  const checkUrl = async (field: string, url: string): Promise<string> => {
    const check = checkTargetUrl(url);
    if (!check.ok) throw new ValidationError(field, check.problem, { got: displayUrl(url) });
    await addressPolicy.check(field, check.host);
    return check.host;
  };

  app.get(
    '/streams/:id/restream-targets',
    {
      schema: {
        summary: "Your stream's restream targets, oldest first, with their status while live",
        params: StreamParams,
        response: { 200: Type.Object({ data: Type.Array(TargetBody) }), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const [config, status] = await Promise.all([targets.config(id), statuses.read(id)]);
      return { data: (config?.targets ?? []).map((target) => toBody(target, target.streamKey, status.get(target.id))) };
    },
  );

  app.post(
    '/streams/:id/restream-targets',
    {
      schema: {
        summary: 'Add a restream target: a platform and its stream key, or a custom rtmp(s):// URL and key',
        description:
          'stream_url is required for custom; for the other platforms it replaces the ingest URL of the platform. ' +
          "name defaults to the platform's name (the URL's host for custom), enabled to true, " +
          `retry to {"attempts": ${DEFAULT_RETRY.attempts}, "delay_s": ${DEFAULT_RETRY.delayS}}.`,
        params: StreamParams,
        body: CreateTarget,
        response: { 201: TargetBody, ...errorResponses(400, 401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const { body } = request;
      const { platform } = body;
      let host: string | undefined;
      if (body.stream_url !== undefined) host = await checkUrl('body.stream_url', body.stream_url);
      else if (!isWellKnown(platform)) throw new ValidationError('body.stream_url', `is required for platform ${quote(platform)}`);
      const target = await targets.create(
        request.principal.userId,
        id,
        {
          name: body.name ?? (platform === 'custom' && host !== undefined ? host : PLATFORM_NAMES[platform]),
          platform,
          streamUrl: body.stream_url ?? null,
          enabled: body.enabled ?? true,
          retry: { attempts: body.retry?.attempts ?? DEFAULT_RETRY.attempts, delayS: body.retry?.delay_s ?? DEFAULT_RETRY.delayS },
        },
        body.stream_key,
        maxTargets,
      );
      request.log.info({ stream: id, target: target.id, platform }, 'restream target created');
      return reply.code(201).send(toBody(target, body.stream_key, undefined));
    },
  );

  app.get(
    '/streams/:id/restream-targets/:target_id',
    {
      schema: {
        summary: 'One restream target of your stream',
        params: TargetParams,
        response: { 200: TargetBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const target = await targets.get(id, request.params.target_id);
      if (!target) throw new TargetNotFoundError(request.params.target_id);
      return answer(id, target);
    },
  );

  app.patch(
    '/streams/:id/restream-targets/:target_id',
    {
      schema: {
        summary: 'Change a target: name, enabled, stream_key, stream_url or retry; a live stream follows within seconds',
        params: TargetParams,
        body: UpdateTarget,
        response: { 200: TargetBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { target_id: targetId } = request.params;
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const current = await targets.get(id, targetId);
      if (!current) throw new TargetNotFoundError(targetId);
      const { name, enabled, stream_key: key, stream_url: url, retry } = request.body;
      const changes: RestreamTargetChanges = {};
      if (name !== undefined) changes.name = name;
      if (enabled !== undefined) changes.enabled = enabled;
      if (url === null) {
        if (!isWellKnown(current.platform)) throw new ValidationError('body.stream_url', `cannot be null for platform ${quote(current.platform)}`);
        changes.streamUrl = null;
      } else if (url !== undefined) {
        await checkUrl('body.stream_url', url);
        changes.streamUrl = url;
      }
      if (retry !== undefined) {
        changes.retry = {};
        if (retry.attempts !== undefined) changes.retry.attempts = retry.attempts;
        if (retry.delay_s !== undefined) changes.retry.delayS = retry.delay_s;
      }
      const target = await targets.update(request.principal.userId, id, targetId, changes, key);
      request.log.info({ stream: id, target: targetId, changed: Object.keys(request.body) }, 'restream target updated');
      return answer(id, target);
    },
  );

  app.delete(
    '/streams/:id/restream-targets/:target_id',
    {
      schema: {
        summary: 'Remove a restream target; a live push to it stops within seconds',
        params: TargetParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { id, target_id: targetId } = request.params;
      await targets.delete(request.principal.userId, id, targetId);
      request.log.info({ stream: id, target: targetId }, 'restream target deleted');
      return reply.code(204).send(null);
    },
  );
};
