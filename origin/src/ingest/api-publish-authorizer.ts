import { request } from 'undici';
import type { PublishAuthorizer, PublishDecision, PublishRequest } from './publish-authorizer.js';

/**
 * Asks the API's seed-compatible `GET /authorize` (2xx allows, anything else denies). The API
 * answers with the public stream name to package under, which may differ from what was sent.
 */
export class ApiPublishAuthorizer implements PublishAuthorizer {
  constructor(
    private readonly apiUrl: string,
    private readonly timeoutMs: number,
  ) {}

  async authorize({ app, name, addr }: PublishRequest): Promise<PublishDecision> {
    const query = new URLSearchParams({ app, name, addr });
    let response;
    try {
      response = await request(`${this.apiUrl}/authorize?${query}`, {
        method: 'GET',
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      return { allowed: false, reason: `API did not answer: ${(error as Error).message}` };
    }
    const text = await response.body.text().catch(() => '');
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { allowed: false, reason: `API answered ${response.statusCode}` };
    }
    let streamName = name;
    try {
      const body = JSON.parse(text) as { name?: unknown };
      if (typeof body.name === 'string' && body.name !== '') streamName = body.name;
    } catch {
      // A bare 2xx (as nginx-rtmp expects) allows the publish under the name it was sent with.
    }
    return { allowed: true, streamName };
  }
}
