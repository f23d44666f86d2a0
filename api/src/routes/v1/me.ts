import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ADMIN_USER_ID } from '../../auth/authenticator.js';
import { UnauthorizedError, errorResponses } from '../../errors.js';
import type { RecordingQuota } from '../../recording-quota.js';
import type { UserStore } from '../../store/user-store.js';
import { StorageBody } from './storage-body.js';

export interface MeRoutesOptions {
  users: Pick<UserStore, 'get'>;
  quota: Pick<RecordingQuota, 'storage'>;
}

/** The built-in admin is not stored (see redis-keys.ts): its name is fixed. */
const ADMIN_NAME = 'admin';

const Me = Type.Object({
  id: Type.String(),
  name: Type.String(),
  admin: Type.Boolean({ description: 'Whether the token is the ADMIN_TOKEN' }),
  storage: StorageBody,
});

/** Who the token acts for: a dashboard greets its user and shows admin pages to the admin only. */
export const meRoutes: FastifyPluginAsyncTypebox<MeRoutesOptions> = async (app, { users, quota }) => {
  app.get(
    '/me',
    {
      schema: {
        summary: "The caller: the token's user (id and name), whether it is the admin, and its recordings' storage against its quota",
        response: { 200: Me, ...errorResponses(401, 503) },
      },
    },
    async (request) => {
      const { userId, admin } = request.principal;
      if (admin) return { id: ADMIN_USER_ID, name: ADMIN_NAME, admin: true, storage: await quota.storage(ADMIN_USER_ID) };
      const [user, storage] = await Promise.all([users.get(userId), quota.storage(userId)]);
      // The user was deleted after its token was read: the token is gone with it.
      if (!user) throw new UnauthorizedError('invalid');
      return { id: user.id, name: user.name, admin: false, storage };
    },
  );
};
