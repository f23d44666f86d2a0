/**
 * The restream benchmark's receiver as nginx-rtmp: one private nginx with the RTMP module and two
 * `live on` applications without HLS or recording, so media is relayed or dropped unparsed:
 * - `app`: the receiver every push publishes to (`rtmp://127.0.0.1:<port>/app/<name>`), for both sides;
 * - `src`: where the ffmpeg side's publisher goes and its relays read from.
 * `rtmp_stat` tells which streams are publishing and how many bytes each brought in.
 *
 * test-support/nginx-rtmp.ts starts nginx as an HLS origin (application `stream`, `hls on`) with a
 * fixed config, so this file writes its own; it reuses that file's module path and availability
 * check, and repeats the binary lookup and worker listing, which that file does not export.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../test-support/free-port.js';
import { childPids, NGINX_RTMP_MODULE, nginxBinary, nginxRtmpAvailable } from '../test-support/nginx-rtmp.js';
import { waitFor } from '../test-support/wait-for.js';
import type { BenchReceiver, ReceivedStream } from './bench-receiver.js';

const RECEIVER_APP = 'app';
const SOURCE_APP = 'src';

/** Streams of `app` in rtmp_stat's XML: `<application><name>…</name><live><stream><name>…</name>…<bytes_in>…</bytes_in>…`. */
export function parseRtmpStat(xml: string, app: string): ReceivedStream[] {
  for (const block of xml.split('<application>').slice(1)) {
    if (/<name>([^<]*)<\/name>/.exec(block)?.[1] !== app) continue;
    return block
      .split('<stream>')
      .slice(1)
      .map((stream) => {
        const body = stream.split('</stream>')[0] ?? '';
        // The stream's own fields come before its <client> entries, which repeat some of the names.
        const own = body.split('<client>')[0] ?? '';
        return {
          name: /<name>([^<]*)<\/name>/.exec(own)?.[1] ?? '',
          bytesIn: Number(/<bytes_in>(\d+)<\/bytes_in>/.exec(own)?.[1] ?? 0),
          // Both the publisher's <client> and the stream itself carry it while a publisher is on.
          publishing: body.includes('<publishing/>'),
        };
      });
  }
  return [];
}

export async function startNginxRtmpReceiver(): Promise<BenchReceiver> {
  const binary = nginxBinary();
  if (!binary || !nginxRtmpAvailable()) throw new Error(`nginx-rtmp is not installed (need nginx and ${NGINX_RTMP_MODULE})`);
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'livestack-nginx-receiver-'));
  const [rtmpPort, httpPort] = await Promise.all([freePort(), freePort()]);
  const errorLogPath = path.join(prefix, 'error.log');
  // As root the worker would otherwise drop to `nobody` and could not use the 0700 prefix.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  const confPath = path.join(prefix, 'nginx.conf');
  await writeFile(
    confPath,
    `load_module ${NGINX_RTMP_MODULE};
${user}worker_processes 1;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${errorLogPath} warn;
events { worker_connections 1024; }

rtmp {
  server {
    listen 127.0.0.1:${rtmpPort};
    chunk_size 4096;
    application ${SOURCE_APP} { live on; record off; }
    application ${RECEIVER_APP} { live on; record off; }
  }
}

http {
  access_log off;
  client_body_temp_path ${path.join(prefix, 'client_body')};
  proxy_temp_path ${path.join(prefix, 'proxy')};
  fastcgi_temp_path ${path.join(prefix, 'fastcgi')};
  uwsgi_temp_path ${path.join(prefix, 'uwsgi')};
  scgi_temp_path ${path.join(prefix, 'scgi')};
  server {
    listen 127.0.0.1:${httpPort};
    location /stat { rtmp_stat all; }
  }
}
`,
  );
  const child = spawn(binary, ['-p', `${prefix}/`, '-c', confPath, '-e', errorLogPath, '-g', 'daemon off; master_process on;'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid ?? 0;
  const running = () => child.exitCode === null && child.signalCode === null;
  const errorLog = () => readFile(errorLogPath, 'utf8').catch(() => '');
  const streams = async (where: 'receive' | 'source') => {
    const response = await fetch(`http://127.0.0.1:${httpPort}/stat`);
    if (!response.ok) throw new Error(`nginx rtmp_stat answered ${response.status}`);
    return parseRtmpStat(await response.text(), where === 'receive' ? RECEIVER_APP : SOURCE_APP);
  };

  const stop = async () => {
    const workers = childPids(pid);
    if (running()) {
      // SIGTERM is nginx's fast shutdown: it does not wait for publishers to leave.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    // A SIGKILLed master leaves its worker behind.
    for (const worker of workers) {
      try {
        process.kill(worker, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(prefix, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `nginx-rtmp receiver on port ${rtmpPort}`,
      async () => {
        if (!running()) throw new Error(`nginx exited: ${stderr.trim() || (await errorLog()).trim()}`);
        await streams('receive');
        return true;
      },
      { timeoutMs: 10_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    kind: 'nginx',
    receiveUrl: `rtmp://127.0.0.1:${rtmpPort}/${RECEIVER_APP}`,
    sourceUrl: `rtmp://127.0.0.1:${rtmpPort}/${SOURCE_APP}`,
    // The master and its worker.
    pids: () => (running() ? [pid, ...childPids(pid)] : []),
    streams,
    stop,
  };
}
