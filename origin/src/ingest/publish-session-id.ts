import { randomBytes } from 'node:crypto';

/**
 * A new publisher connection's session id, whichever protocol it came in on: the API's lease,
 * the heartbeat's publishes and the logs all name the publish by it.
 */
export function newPublishSessionId(): string {
  return randomBytes(9).toString('base64url');
}
