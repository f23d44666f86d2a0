/**
 * nginx serving an HLS folder as static files, the reference for the edge benchmark: sendfile,
 * an open-file cache (a playlist may be up to 1 s old, like the edge's), no access log.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { nginxBinary } from '../test-support/nginx-rtmp.js';
import { waitFor } from '../test-support/wait-for.js';

export interface NginxStatic {
  url: string;
  stop(): Promise<void>;
}

export async function startNginxStatic(root: string, workers: number): Promise<NginxStatic> {
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is not installed');
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'livestack-nginx-static-'));
  const port = await freePort();
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((name) => `  ${name}_temp_path ${path.join(prefix, name)};`)
    .join('\n');
  const config = `${user}worker_processes ${workers};
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'error.log')} warn;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  open_file_cache max=1000 inactive=10s;
  open_file_cache_valid 1s;
${temp}
  types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
  server {
    listen 127.0.0.1:${port};
    root ${root};
    add_header Cache-Control no-cache;
    add_header Access-Control-Allow-Origin *;
  }
}
`;
  const configPath = path.join(prefix, 'nginx.conf');
  await writeFile(configPath, config);
  const child = spawn(binary, ['-p', `${prefix}/`, '-c', configPath, '-e', path.join(prefix, 'error.log'), '-g', 'daemon off;'], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };
  try {
    await waitFor(`nginx static on port ${port}`, () => {
      if (child.exitCode !== null) throw new Error('nginx exited');
      return new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}
