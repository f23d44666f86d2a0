import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../errors.js';

/** onRequest hook of the admin routes; runs after the /v1 authentication hook. */
export async function requireAdmin(request: FastifyRequest): Promise<void> {
  if (!request.principal.admin) throw new ForbiddenError('this route is for the admin only (the ADMIN_TOKEN)');
}
