import { Type, type Static } from '@fastify/type-provider-typebox';
import { PullState } from '../../../internal-api/src/pull-contract.js';
import { maskUrlSecrets } from '../../../service-kit/src/url-secrets.js';
import { Timestamp } from '../schemas.js';
import type { Pull, PullStatus } from '../store/pull-store.js';
import { PULL_URL_MAX_LENGTH } from './pull-url.js';

export const PullUrl = Type.String({
  minLength: 1,
  maxLength: PULL_URL_MAX_LENGTH,
  description:
    'rtmp://host/app/name, rtmps://…, srt://host:port?streamid=…, or http(s):// to an HLS playlist (.m3u8) or a media file ' +
    '(played in real time); H.264 + AAC. Its host must resolve to public addresses. Credentials and query values are ' +
    'kept secret: answers show them as ****.',
});

/** A pull as the origin running it reports it; null while no origin runs it. */
export const PullStatusBody = Type.Union([
  Type.Object({
    state: PullState,
    since: Timestamp,
    attempts: Type.Integer({ description: 'Attempts since the source last went live' }),
    last_error: Type.Union([Type.String(), Type.Null()], { description: 'Why the last attempt ended (secrets masked)' }),
    reported_at: Timestamp,
  }),
  Type.Null(),
]);

export const PullBody = Type.Object({
  url: Type.String({ description: 'The source, credentials and query values shown as ****' }),
  created_at: Timestamp,
  status: PullStatusBody,
});

export function pullBody(pull: Pull, status: PullStatus | null): Static<typeof PullBody> {
  return {
    url: maskUrlSecrets(pull.url),
    created_at: pull.createdAt,
    status: status && {
      state: status.state,
      since: status.since,
      attempts: status.attempts,
      last_error: status.lastError,
      reported_at: status.reportedAt,
    },
  };
}
