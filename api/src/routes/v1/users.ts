import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { requireAdmin } from '../../auth/require-admin.js';
import { UserNotFoundError, errorResponses } from '../../errors.js';
import type { FallbackFiles } from '../../fallback/fallback-files.js';
import { DisplayName, Timestamp, UserId } from '../../schemas.js';
import type { RouteStore } from '../../store/route-store.js';
import type { User, UserStore } from '../../store/user-store.js';

export interface UserRoutesOptions {
  users: UserStore;
  fallbackFiles: Pick<FallbackFiles, 'remove'>;
  /** Its streams' routes go at once: the edge answers 404 once its route cache expires. */
  routes: Pick<RouteStore, 'withdraw'>;
}

export const UserBody = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });

const UserParams = Type.Object({ id: UserId });

function toBody(user: User) {
  return { id: user.id, name: user.name, created_at: user.createdAt };
}

/** Admin only: users are created and removed by the admin (ADMIN_TOKEN). */
export const userRoutes: FastifyPluginAsyncTypebox<UserRoutesOptions> = async (app, { users, routes, fallbackFiles }) => {
  app.addHook('onRequest', requireAdmin);

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
        summary: 'Get a user (admin)',
        params: UserParams,
        response: { 200: UserBody, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      const user = await users.get(request.params.id);
      if (!user) throw new UserNotFoundError(request.params.id);
      return toBody(user);
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
