import { UnauthorizedError } from '../errors.js';
import { matchesDigest, secretsEqual } from '../constant-time.js';
import type { TokenStore } from '../store/token-store.js';
import { parseApiToken } from './api-token.js';
import { bearerToken } from './bearer.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request acts for; set by the /v1 authentication hook before any /v1 handler runs. */
    principal: Principal;
  }
}

/** The id of the built-in admin user, whose token is the ADMIN_TOKEN setting. */
export const ADMIN_USER_ID = 'admin';

/** Who a request acts for. Only the ADMIN_TOKEN makes an admin. */
export interface Principal {
  userId: string;
  admin: boolean;
}

/**
 * Resolves `Authorization: Bearer <token>` to a principal, or throws UnauthorizedError (401).
 * `adminTokens`: ADMIN_TOKEN, and ADMIN_TOKEN_PREVIOUS during a rotation; none, no admin.
 */
export class Authenticator {
  constructor(
    private readonly tokens: Pick<TokenStore, 'get'>,
    private readonly adminTokens: readonly string[],
  ) {}

  async authenticate(authorization: string | undefined): Promise<Principal> {
    const presented = bearerToken(authorization);
    if (presented === undefined) throw new UnauthorizedError('missing');
    // Every candidate is compared, so the time taken does not say which one matched.
    const admin = this.adminTokens.map((token) => secretsEqual(presented, token)).includes(true);
    if (admin) return { userId: ADMIN_USER_ID, admin: true };
    const parsed = parseApiToken(presented);
    if (!parsed) throw new UnauthorizedError('invalid');
    const token = await this.tokens.get(parsed.tokenId);
    if (!token || !matchesDigest(parsed.secret, token.secretSha256)) throw new UnauthorizedError('invalid');
    return { userId: token.userId, admin: false };
  }
}
