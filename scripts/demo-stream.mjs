// Makes (once) the local demo stream through the /v1 API with the admin token and prints the
// banner lines: OBS settings, the stream key, a test-pattern command and the playback URL.
// Usage: node scripts/demo-stream.mjs <api url> <file remembering the demo stream id>
import { readFile, writeFile } from 'node:fs/promises';

const [apiUrl, idFile] = process.argv.slice(2);
const headers = { authorization: `Bearer ${process.env.ADMIN_TOKEN}`, 'content-type': 'application/json' };

async function call(method, path, body) {
  const response = await fetch(`${apiUrl}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

let id = (await readFile(idFile, 'utf8').catch(() => '')).trim();
if (id) {
  const found = await fetch(`${apiUrl}/v1/streams/${id}`, { headers });
  if (!found.ok) id = '';
}
if (!id) {
  id = (await call('POST', '/v1/streams', { name: 'Demo stream' })).id;
  await writeFile(idFile, id);
}
const keys = (await call('GET', `/v1/streams/${id}/stream-keys`)).data;
const rtmpKey = keys.find((key) => key.protocol === 'rtmp').stream_key;
const hls = (await call('GET', `/v1/streams/${id}/playlists`)).playlists.find((p) => p.protocol === 'hls').url;
const ingest = (await call('GET', '/v1/ingests?protocol=rtmp')).ingests[0];
const server = ingest ? ingest.url_template.replace(/\/\{stream_key\}$/, '') : 'rtmp://localhost:1935/stream';
// SRT: the key is the whole streamid; the origin lists its own URL (UDP, not through HAProxy).
const srtKey = keys.find((key) => key.protocol === 'srt').stream_key;
const srtIngest = (await call('GET', '/v1/ingests?protocol=srt')).ingests[0];
const srtUrl = srtIngest ? srtIngest.url_template.replace('{stream_key}', srtKey) : undefined;

console.log(`  Demo stream "${id}" (owned by the admin user)
  OBS:        Settings > Stream > Service: Custom
              Server:     ${server}
              Stream Key: ${rtmpKey}
  Test:       npm run publish:test -- ${rtmpKey}${server === 'rtmp://localhost:1935/stream' ? '' : ` ${server}`}
  Play:       ${hls}   (VLC, ffplay, hls.js)${
    srtUrl
      ? `
  SRT:        ffmpeg -re -i <file> -c copy -f mpegts '${srtUrl}'
              (OBS: Server ${srtUrl}, Stream Key empty)`
      : ''
  }`);
