import t from 'tap';
import { LIVE_ERRORS, LiveError, createError, quote } from '../src/live-error.js';

class StreamNotLiveError extends createError('LIVE_ERR_STREAM_NOT_LIVE', (stream: string) => `stream ${quote(stream)} is not live`) {}

class RetryLaterError extends createError('LIVE_ERR_FALLBACK_BUSY', (seconds: number, what = 'uploads') => `too many ${what}; retry in ${seconds} s`) {
  constructor(seconds: number) {
    super(seconds);
    this.headers = { 'retry-after': String(seconds) };
  }
}

t.test('a declared error: its code fixes the status, its arguments make the message', async (t) => {
  const error = new StreamNotLiveError('golive');
  t.ok(error instanceof LiveError);
  t.ok(error instanceof Error);
  t.equal(error.name, 'StreamNotLiveError');
  t.equal(error.code, 'LIVE_ERR_STREAM_NOT_LIVE');
  t.equal(error.statusCode, 404);
  t.same(error.headers, {});
  t.same(error.toBody(), { error: { code: 'LIVE_ERR_STREAM_NOT_LIVE', message: 'stream "golive" is not live' } });
  t.match(error.stack, /StreamNotLiveError: stream "golive" is not live/);
});

t.test('one argument past the message is its cause; headers and defaults stay its own', async (t) => {
  const cause = new Error('connect ECONNREFUSED');
  const caused = new StreamNotLiveError('golive', { cause });
  t.equal(caused.cause, cause);
  t.equal(caused.message, 'stream "golive" is not live');
  t.equal(new StreamNotLiveError('golive').cause, undefined);

  const busy = new RetryLaterError(5);
  t.equal(busy.message, 'too many uploads; retry in 5 s', 'a default argument is not taken for options');
  t.same(busy.headers, { 'retry-after': '5' });
  t.equal(busy.statusCode, 503);
});

t.test('one namespace: every code is LIVE_ERR_*, each with an HTTP error status', async (t) => {
  for (const [code, status] of Object.entries(LIVE_ERRORS)) {
    t.match(code, /^LIVE_ERR_[A-Z_]+$/);
    t.ok(status >= 400 && status <= 599, `${code}: ${status}`);
  }
});

t.test('quote: JSON-quoted and cut short', async (t) => {
  t.equal(quote('a"b'), '"a\\"b"');
  t.equal(quote(undefined), 'undefined');
  t.equal(quote('x'.repeat(500)).length, 101);
});
