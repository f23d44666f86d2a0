import type { InternalApiClient } from '../../../internal-api/src/internal-api-client.js';
import { InternalApiError, InternalApiRefusedError } from '../../../internal-api/src/internal-api-errors.js';
import { NO_RECORDING } from '../../../internal-api/src/recording-contract.js';
import type { PublishAuthorizer, PublishDecision, PublishRequest } from './publish-authorizer.js';

/**
 * Asks the API's `GET /authorize`; only its contract's answer allows a publish, under the stream
 * name it returns (a stream key resolves to its stream id). A refusal, an error or no answer in
 * time denies it.
 */
export class ApiPublishAuthorizer implements PublishAuthorizer {
  constructor(
    private readonly client: Pick<InternalApiClient, 'authorize'>,
    private readonly originId: string,
  ) {}

  async authorize({ app, name, addr, sessionId }: PublishRequest): Promise<PublishDecision> {
    try {
      const allowed = await this.client.authorize({ name, app, addr, origin_id: this.originId, session_id: sessionId });
      const recording = allowed.recording ?? NO_RECORDING;
      return { allowed: true, streamName: allowed.name, keyGeneration: allowed.key_generation, recording, ...(allowed.abr ? { abr: allowed.abr } : {}) };
    } catch (error) {
      if (!(error instanceof InternalApiError)) throw error;
      return { allowed: false, reason: error.message, refusal: error instanceof InternalApiRefusedError ? 'denied' : 'api_unavailable' };
    }
  }
}
