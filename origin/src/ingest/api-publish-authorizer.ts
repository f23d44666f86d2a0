import { request } from 'undici';
import { bearerOf } from '../../../internal-api/src/internal-token.js';
import type { PublishAuthorizer, PublishDecision, PublishRequest } from './publish-authorizer.js';

/**
 * Asks the API's seed-compatible `GET /authorize` (2xx allows, anything else denies). The API
 * answers with the public stream name to package under (a stream key resolves to its stream id).
 */
export class ApiPublishAuthorizer implements PublishAuthorizer {
  constructor(
    private readonly apiUrl: string,
    private readonly originId: string,
    private readonly timeoutMs: number,
    private readonly internalToken: string,
  ) {}

  async authorize({ app, name, addr, sessionId }: PublishRequest): Promise<PublishDecision> {
    const query = new URLSearchParams({ app, name, addr, origin_id: this.originId, session_id: sessionId });
    let response;
    try {
      response = await request(`${this.apiUrl}/authorize?${query}`, {
        method: 'GET',
        headers: { authorization: bearerOf(this.internalToken) },
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { allowed: false, reason: `API did not answer: ${(error as Error).message}` };
    }
    const text = await response.body.text().catch(() => '');
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { allowed: false, reason: `API answered ${response.statusCode}${errorCode(text)}` };
    }
    let streamName = name;
    let keyGeneration = 0;
    try {
      const body = JSON.parse(text) as { name?: unknown; key_generation?: unknown };
      if (typeof body.name === 'string' && body.name !== '') streamName = body.name;
      if (typeof body.key_generation === 'number') keyGeneration = body.key_generation;
    } catch {
      // A bare 2xx (as nginx-rtmp expects) allows the publish under the name it was sent with.
    }
    return { allowed: true, streamName, keyGeneration };
  }
}

function errorCode(text: string): string {
  try {
    const code = (JSON.parse(text) as { error?: { code?: unknown } }).error?.code;
    return typeof code === 'string' ? ` ${code}` : '';
  } catch {
    return '';
  }
}
