import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { StreamNotFoundError, errorResponses } from '../../errors.js';
import { STREAM_SECRET_LENGTH, streamKeys } from '../../publish/stream-key.js';
import { randomSecret } from '../../random-strings.js';
import { StreamIdParams } from '../../schemas.js';
import type { StreamStore } from '../../store/stream-store.js';
import { ownedStream } from './owned-stream.js';

export interface StreamKeyRoutesOptions {
  streams: StreamStore;
}

const StreamKeyList = Type.Object({
  data: Type.Array(
    Type.Object({
      protocol: Type.Enum(['rtmp', 'srt', 'websocket']),
      stream_key: Type.String({ description: 'Secret: publish with it, never share it' }),
    }),
  ),
});

/** The only routes that answer with stream keys (seed 000). */
export const streamKeyRoutes: FastifyPluginAsyncTypebox<StreamKeyRoutesOptions> = async (app, { streams }) => {
  const keysOf = async (id: string) => {
    const credentials = await streams.credentials(id);
    if (!credentials) throw new StreamNotFoundError(id);
    return { data: streamKeys(id, credentials.secrets) };
  };

  app.get(
    '/streams/:id/stream-keys',
    {
      schema: {
        summary: "Your stream's keys: RTMP, SRT and WebSocket (which uses the RTMP key)",
        params: StreamIdParams,
        response: { 200: StreamKeyList, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      await ownedStream(streams, request.principal, request.params.id);
      return keysOf(request.params.id);
    },
  );

  app.post(
    '/streams/:id/stream-keys/reset',
    {
      schema: {
        summary: 'Make a new key for one protocol; a publisher using the old key is disconnected',
        params: StreamIdParams,
        body: Type.Object({ protocol: Type.Enum(['rtmp', 'srt'], { description: 'WebSocket follows rtmp' }) }),
        response: { 200: StreamKeyList, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const reset = await streams.resetKey(request.principal.userId, id, request.body.protocol, randomSecret(STREAM_SECRET_LENGTH));
      if (!reset) throw new StreamNotFoundError(id);
      request.log.info({ stream: id, protocol: request.body.protocol }, 'stream key reset');
      return keysOf(id);
    },
  );
};
