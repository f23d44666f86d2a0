/** The streamid forms an SRT publisher may send, and the ones refused. */
import t from 'tap';
import { readSrtStreamId } from '../../src/ingest/srt-stream-id.js';

const KEY = 'publish/abcd1234/AbCdEfGhIjKlMnOpQrStUvWx';

t.test('the key itself, or the access-control form with m=publish', async (t) => {
  t.same(readSrtStreamId(KEY), { kind: 'publish', streamKey: KEY });
  t.same(readSrtStreamId(`#!::r=${KEY},m=publish`), { kind: 'publish', streamKey: KEY });
  t.same(readSrtStreamId(`#!::m=publish,u=obs,r=${KEY}`), { kind: 'publish', streamKey: KEY }, 'any order, other keys ignored');
});

t.test('refused: asking to play, no mode (request), no resource, not a key', async (t) => {
  t.same(readSrtStreamId(`#!::r=${KEY},m=request`), { kind: 'refused', why: 'not_publish' });
  t.same(readSrtStreamId(`#!::r=${KEY}`), { kind: 'refused', why: 'not_publish' }, "SRT's default mode is request");
  t.same(readSrtStreamId('#!::m=publish'), { kind: 'refused', why: 'malformed' });
  t.same(readSrtStreamId('#!::r'), { kind: 'refused', why: 'malformed' });
  t.same(readSrtStreamId('play/abcd1234'), { kind: 'refused', why: 'malformed' });
  t.same(readSrtStreamId(''), { kind: 'refused', why: 'malformed' });
});
