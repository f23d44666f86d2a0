import t from 'tap';
import { describeApiError } from '../src/error-words.js';

const error = (code: string, message: string) => ({ error: { code, message } });

t.test('each API error becomes a sentence about the user’s problem, never JSON', async (t) => {
  const cases: [number, unknown, RegExp][] = [
    [401, error('LIVE_ERR_UNAUTHORIZED', 'the API token is malformed, unknown or revoked'), /^Your API token was not accepted.*Sign in again/],
    [403, error('LIVE_ERR_FORBIDDEN', 'admin only'), /^Only the admin can do this/],
    [400, error('LIVE_ERR_VALIDATION', 'body/name must NOT have fewer than 1 characters'), /^Please check the form: Name must NOT have fewer than 1 characters\.$/],
    [400, error('LIVE_ERR_VALIDATION', 'body.allowed_origins.0 must be a host'), /^Please check the form: Allowed origins must be a host\.$/],
    [400, error('LIVE_ERR_VALIDATION', 'body/stream_key must match pattern'), /Stream key must match pattern/],
    [400, error('LIVE_ERR_VALIDATION', 'body/recording/timeoutSeconds must be integer'), /^Please check the form: Recording timeout seconds must be integer\.$/],
    [404, error('LIVE_ERR_STREAM_NOT_FOUND', 'stream "x" does not exist'), /does not exist any more/],
    [409, error('LIVE_ERR_TOO_MANY_TARGETS', 'stream "x" already has 10 restream targets'), /^You have reached a limit: Stream "x" already has 10 restream targets\.$/],
    [400, error('LIVE_ERR_TARGET_ADDRESS_REFUSED', 'stream_url host "10.0.0.1" resolves to a private address'), /must be public internet servers/],
    [400, error('LIVE_ERR_TARGET_ADDRESS_REFUSED', 'url host "10.0.0.1" resolves to a private address'), /^That server address cannot be used: restream targets and pull sources must be public internet servers\. Url host/],
    [409, error('LIVE_ERR_PULL_EXISTS', 'stream "x" already has a pull source; DELETE it first'), /^This stream already pulls from a source: stop it first\.$/],
    [400, error('LIVE_ERR_FALLBACK_NOT_VIDEO', 'no video stream found'), /^That file cannot be used as a fallback video: No video stream found\.$/],
    [413, error('LIVE_ERR_PAYLOAD_TOO_LARGE', 'the upload is larger than FALLBACK_MAX_BYTES'), /^The file is too large/],
    [503, error('LIVE_ERR_STORE_UNAVAILABLE', 'redis is unavailable'), /Nothing was changed; try again/],
    [500, error('LIVE_ERR_INTERNAL', 'internal error'), /^The platform had a problem/],
    [502, 'Bad Gateway', /^The platform had a problem/],
    [418, undefined, /^The request was refused\.$/],
  ];
  for (const [status, body, expected] of cases) {
    const words = describeApiError(status, body);
    t.match(words, expected, `${status} ${JSON.stringify(body)}`);
    t.notMatch(words, /[{}]|LIVE_ERR_/, 'no JSON and no error code');
  }
});
