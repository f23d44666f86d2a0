/**
 * The ceiling of any edge written on node:http: a bare server answering one file's bytes from
 * memory with the edge's headers, no routing, no cache, no metrics. Run as its own process:
 * `node edge-bare-server.js <file> <port>`; it prints "ready" once it listens.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';

const [file = '', port = '0'] = process.argv.slice(2);
const body = readFileSync(file);
const headers = {
  'content-type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t',
  'content-length': body.length,
  'cache-control': 'public, max-age=1',
  'access-control-allow-origin': '*',
  'x-cache': 'HIT',
  age: '0',
};
http
  .createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end(body);
  })
  .listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n'));
