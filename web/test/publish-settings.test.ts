import t from 'tap';
import { hideSecret, obsSettings, testPatternCommand } from '../src/publish-settings.js';

const KEY = 'publish_9a8e3a6d_SecretSecretSecret';

t.test("OBS's Server and Stream Key from an ingest template ending in the key", async (t) => {
  t.same(obsSettings('rtmp://localhost:1935/stream/{stream_key}', KEY), {
    server: 'rtmp://localhost:1935/stream',
    streamKey: KEY,
    url: `rtmp://localhost:1935/stream/${KEY}`,
  });
});

t.test('a template of another shape is given whole, the key inside the server URL', async (t) => {
  const settings = obsSettings('rtmp://ingest.example.com/live?key={stream_key}', KEY);
  t.equal(settings.server, `rtmp://ingest.example.com/live?key=${KEY}`);
  t.equal(settings.streamKey, '');
  t.equal(settings.url, settings.server);
});

t.test('the test-pattern command publishes to the URL, quoted for the shell', async (t) => {
  const command = testPatternCommand(`rtmp://localhost:1935/stream/${KEY}`);
  t.match(command, /^ffmpeg -re /);
  t.match(command, /-c:v libx264 .*-g 60/);
  t.ok(command.endsWith(`-f flv 'rtmp://localhost:1935/stream/${KEY}'`));
  t.ok(testPatternCommand("rtmp://h/a/it's").endsWith(`'rtmp://h/a/it'\\''s'`), 'a quote in the URL cannot end the argument');
});

t.test('a hidden key shows nothing of the secret', async (t) => {
  const shown = hideSecret(testPatternCommand(`rtmp://localhost/stream/${KEY}`), KEY);
  t.notOk(shown.includes('Secret'), 'no part of the key');
  t.match(shown, /rtmp:\/\/localhost\/stream\/•+'/);
  t.equal(hideSecret('no key here', ''), 'no key here');
});
