import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../../auth/require-admin.js';
import { UserNotFoundError, errorResponses } from '../../errors.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import type { RecordingQuota } from '../../recording-quota.js';
import { DisplayName, Timestamp, UserId } from '../../schemas.js';
import type { RouteStore } from '../../store/route-store.js';
import type { User, UserStore } from '../../store/user-store.js';
import { StorageBody, StorageChanges } from './storage-body.js';

export interface UserRoutesOptions {
  users: UserStore;
  fallbackFiles: Pick<FallbackFiles, 'remove'>;
  /** Its streams' routes go at once: the edge answers 404 once its route cache expires. */
  routes: Pick<RouteStore, 'withdraw'>;
  quota: Pick<RecordingQuota, 'storage'>;
}

export const UserBody = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });

const UserParams = Type.Object({ id: UserId });

/** One user as the admin views it: with its recordings' storage (not in the listing, which would sum every user's). */
const UserView = Type.Object({ ...UserBody.properties, storage: StorageBody });

function toBody(user: User) {
  return { id: user.id, name: user.name, created_at: user.createdAt };
}

/** Admin only: users are created and removed by the admin (ADMIN_TOKEN). */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { users, routes, fallbackFiles, quota }) => {
  app.addHook('onRequest', requireAdmin);

  const view = async (user: User) => ({ ...toBody(user), storage: await quota.storage(user.id) });

  app.post(
    '/users',
    {
      schema: {
        summary: 'Create a user (admin)',
        body: Type.Object({ name: DisplayName }),
        response: { 201: UserBody, ...errorResponses(400, 401, 403, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(toBody(await users.create(request.body.name))),
  );

  app.get(
    '/users',
    {
      schema: {
        summary: 'List users, oldest first (admin); the built-in admin is not listed',
        response: { 200: Type.Object({ data: Type.Array(UserBody) }), ...errorResponses(401, 403, 503) },
      },
    },
    async () => ({ data: (await users.list()).map(toBody) }),
  );

  app.get(
    '/users/:id',
    {
      schema: {
        summary: "Get a user, with its recordings' storage against its quota (admin)",
        params: UserParams,
        response: { 200: UserView, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await users.get(request.params.id);
      if (!user) throw new UserNotFoundError(request.params.id);
      return view(user);
    },
  );

  app.patch(
    '/users/:id',
    {
      schema: {
        summary: "Change a user's recording quota (admin)",
        description:
          'storage.quotaBytes overrides RECORDING_QUOTA_BYTES for this user (null: back to the setting). A lower quota records ' +
          'nothing new and closes recordings in progress at their next report; it never deletes a video.',
        params: UserParams,
        body: Type.Object({ storage: StorageChanges }, { additionalProperties: false }),
        response: { 200: UserView, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      if (!(await users.setRecordingQuota(id, request.body.storage.quotaBytes))) throw new UserNotFoundError(id);
      const user = await users.get(id);
      if (!user) throw new UserNotFoundError(id);
      return view(user);
    },
  );

  app.delete(
    '/users/:id',
    {
      schema: {
        summary: 'Delete a user with its tokens and streams (their targets and fallback videos too); their publishers are disconnected (admin)',
        params: UserParams,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const streams = await users.delete(request.params.id);
      if (!streams) throw new UserNotFoundError(request.params.id);
      await Promise.all(streams.flatMap((streamId) => [fallbackFiles.remove(streamId), routes.withdraw(streamId)]));
      return reply.code(204).send(null);
    },
  );
};
