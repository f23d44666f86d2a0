import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { PullNotFoundError, ValidationError, errorResponses } from '../../errors.js';
import { PullBody, PullUrl, pullBody } from '../../pull/pull-schemas.js';
import { checkPullUrl } from '../../pull/pull-url.js';
import type { TargetAddressPolicy } from '../../restream/target-address-policy.js';
import { displayUrl } from '../../restream/target-url.js';
import { StreamIdParams } from '../../schemas.js';
import type { PullStore } from '../../store/pull-store.js';
import type { StreamStore } from '../../store/stream-store.js';
import { ownedStream } from './owned-stream.js';

export interface StreamPullRoutesOptions {
  streams: Pick<StreamStore, 'get'>;
  pulls: Pick<PullStore, 'create' | 'get' | 'status' | 'delete'>;
  addressPolicy: Pick<TargetAddressPolicy, 'check'>;
}

/**
 * A stream's pull source (issue 15, seed 002): the platform itself publishes the stream from an
 * RTMP, SRT or HLS source or a media file. An origin claims the pull and publishes it with the
 * stream's own key, so the stream behaves as with any publisher; DELETE stops it.
 */
export const streamPullRoutes: FastifyPluginAsyncTypebox<StreamPullRoutesOptions> = async (app, { streams, pulls, addressPolicy }) => {
  app.post(
    '/streams/:id/pull',
    {
      schema: {
        summary: 'Pull your stream from a source: an origin connects to it and publishes it as the stream (one per stream)',
        params: StreamIdParams,
        body: Type.Object({ url: PullUrl }),
        response: { 201: PullBody, ...errorResponses(400, 401, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const { url } = request.body;
      const check = checkPullUrl(url);
      if (!check.ok) throw new ValidationError('body.url', check.problem, { got: displayUrl(url) });
      await addressPolicy.check('body.url', check.host);
      const pull = await pulls.create(request.principal.userId, id, url);
      request.log.info({ stream: id, source: displayUrl(url) }, 'pull source created');
      return reply.code(201).send(pullBody(pull, null));
    },
  );

  app.get(
    '/streams/:id/pull',
    {
      schema: {
        summary: "Your stream's pull source and how the origin running it reports it",
        params: StreamIdParams,
        response: { 200: PullBody, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = await ownedStream(streams, request.principal, request.params.id);
      const [pull, status] = await Promise.all([pulls.get(id), pulls.status(id)]);
      if (!pull) throw new PullNotFoundError(id);
      return pullBody(pull, status);
    },
  );

  app.delete(
    '/streams/:id/pull',
    {
      schema: {
        summary: 'Stop pulling: the origin running the pull stops within PULL_POLL_SECONDS and the stream goes offline',
        params: StreamIdParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      await pulls.delete(request.principal.userId, id);
      request.log.info({ stream: id }, 'pull source deleted');
      return reply.code(204).send(null);
    },
  );
};
