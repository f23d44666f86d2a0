import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API_TOKEN_SECRET_LENGTH, formatApiToken } from '../../auth/api-token.js';
import { ADMIN_USER_ID } from '../../auth/authenticator.js';
import { requireAdmin } from '../../auth/require-admin.js';
import { sha256 } from '../../constant-time.js';
import { ForbiddenError, TokenNotFoundError, UserNotFoundError, errorResponses } from '../../errors.js';
import { randomSecret } from '../../random-strings.js';
import { DisplayName, Timestamp, TokenId, UserId } from '../../schemas.js';
import type { ApiTokenRecord, TokenStore } from '../../store/token-store.js';
import type { UserStore } from '../../store/user-store.js';
import { limitFor } from '../../user-limits.js';

export interface TokenRoutesOptions {
  tokens: TokenStore;
  users: Pick<UserStore, 'get'>;
  /** MAX_TOKENS_PER_USER */
  maxTokensPerUser: number;
}

/** A token as listed: never its secret. */
const TokenBody = Type.Object({ id: Type.String(), name: Type.String(), created_at: Timestamp });
/** The answer to creating a token: the only time its secret is shown. */
const CreatedTokenBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  token: Type.String({ description: 'Send as "Authorization: Bearer <token>"; shown only once' }),
  created_at: Timestamp,
});
const TokenList = Type.Object({ data: Type.Array(TokenBody) });
const CreateToken = Type.Object({ name: DisplayName });
const UserParams = Type.Object({ id: UserId });

function toBody(token: ApiTokenRecord) {
  return { id: token.id, name: token.name, created_at: token.createdAt };
}

/**
 * API tokens: each user manages their own under /v1/tokens, the admin anyone's under
 * /v1/users/{id}/tokens. The built-in admin has no stored tokens: it uses ADMIN_TOKEN.
 */
export const tokenRoutes: FastifyPluginAsyncTypebox<TokenRoutesOptions> = async (app, { tokens, users, maxTokensPerUser }) => {
  const create = async (userId: string, name: string) => {
    const secret = randomSecret(API_TOKEN_SECRET_LENGTH);
    const token = await tokens.create(userId, name, sha256(secret).toString('hex'), limitFor(userId, maxTokensPerUser));
    if (!token) throw new UserNotFoundError(userId);
    return { ...toBody(token), token: formatApiToken(token.id, secret) };
  };
  const revoke = async (userId: string, tokenId: string) => {
    if (!(await tokens.delete(userId, tokenId))) throw new TokenNotFoundError(tokenId);
  };

  app.get(
    '/tokens',
    {
      schema: {
        summary: 'List your API tokens, oldest first (without their secrets)',
        response: { 200: TokenList, ...errorResponses(401, 503) },
      },
    },
    async (request) => ({ data: (await tokens.list(request.principal.userId)).map(toBody) }),
  );

  app.post(
    '/tokens',
    {
      schema: {
        summary: 'Create an API token for yourself; the answer is the only time its secret is shown',
        description: 'A user has at most MAX_TOKENS_PER_USER tokens: past it, 409 LIVE_ERR_TOO_MANY_TOKENS.',
        body: CreateToken,
        response: { 201: CreatedTokenBody, ...errorResponses(400, 401, 403, 409, 503) },
      },
    },
    async (request, reply) => {
      if (request.principal.userId === ADMIN_USER_ID) {
        throw new ForbiddenError('the built-in admin authenticates with ADMIN_TOKEN only; create a user for API tokens');
      }
      return reply.code(201).send(await create(request.principal.userId, request.body.name));
    },
  );

  app.delete(
    '/tokens/:id',
    {
      schema: {
        summary: 'Revoke one of your API tokens',
        params: Type.Object({ id: TokenId }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request, reply) => {
      await revoke(request.principal.userId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/users/:id/tokens',
    {
      onRequest: requireAdmin,
      schema: {
        summary: "List a user's API tokens, oldest first, without their secrets (admin)",
        params: UserParams,
        response: { 200: TokenList, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => {
      if (!(await users.get(request.params.id))) throw new UserNotFoundError(request.params.id);
      return { data: (await tokens.list(request.params.id)).map(toBody) };
    },
  );

  app.post(
    '/users/:id/tokens',
    {
      onRequest: requireAdmin,
      schema: {
        summary: 'Create an API token for a user (admin); the answer is the only time its secret is shown',
        description: "The user's MAX_TOKENS_PER_USER applies: past it, 409 LIVE_ERR_TOO_MANY_TOKENS.",
        params: UserParams,
        body: CreateToken,
        response: { 201: CreatedTokenBody, ...errorResponses(400, 401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => reply.code(201).send(await create(request.params.id, request.body.name)),
  );

  app.delete(
    '/users/:id/tokens/:token_id',
    {
      onRequest: requireAdmin,
      schema: {
        summary: "Revoke a user's API token (admin)",
        params: Type.Object({ id: UserId, token_id: TokenId }),
        response: { 204: Type.Null(), ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      await revoke(request.params.id, request.params.token_id);
      return reply.code(204).send(null);
    },
  );
};
