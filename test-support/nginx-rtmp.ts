/**
 * Starts a private nginx with libnginx-mod-rtmp, the reference origin of nginx-rtmp based
 * platforms: RTMP app `stream` packaging HLS into `<hlsPath>/<name>/index.m3u8` (`hls_nested on`)
 * and an HTTP server serving `hlsPath`. Used by the compatibility test and the origin benchmark.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

/** Where Debian's libnginx-mod-rtmp puts the module. */
export const NGINX_RTMP_MODULE = '/usr/lib/nginx/modules/ngx_rtmp_module.so';
const NGINX_CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

export interface NginxRtmpOptions {
  /** hls_path: nginx writes `<hlsPath>/<stream>/index.m3u8` and `<n>.ts` there. Created if missing. */
  hlsPath: string;
  /** on_publish: nginx POSTs a form (`call=publish&name=…&app=…`) here; non-2xx refuses the publish. */
  onPublishUrl?: string;
  /**
   * INTERNAL_TOKEN of the API behind onPublishUrl, appended as `?internal_token=`: nginx-rtmp
   * cannot send headers with its callbacks.
   */
  internalToken?: string;
  /** hls_fragment in seconds. Default 2. */
  hlsFragmentSeconds?: number;
  /** hls_playlist_length in seconds. Default 60. */
  playlistLengthSeconds?: number;
}

export interface NginxRtmp {
  /** `rtmp://127.0.0.1:<port>/stream`: publish to `${rtmpUrl}/<name>`. */
  rtmpUrl: string;
  /** `http://127.0.0.1:<port>`: serves hlsPath (`/<name>/index.m3u8`, `/<name>/<n>.ts`). */
  httpUrl: string;
  /** `127.0.0.1:<port>` of the HTTP server, as discovery's ORIGIN_HOST wants it. */
  httpHost: string;
  /** hls_path, absolute: discovery's HLS_PATH. */
  hlsPath: string;
  /** The master process. */
  pid: number;
  /** The master and its children (worker, cache manager), for CPU and memory accounting. */
  pids(): number[];
  /** nginx's error log so far (notice level: publishes, on_publish answers, HLS errors). */
  errorLog(): Promise<string>;
  stop(): Promise<void>;
}

/** The nginx binary on PATH or in the usual places, if any. */
export function nginxBinary(): string | undefined {
  const onPath = (process.env.PATH ?? '').split(path.delimiter).map((dir) => path.join(dir, 'nginx'));
  return [...onPath, ...NGINX_CANDIDATES].find((file) => {
    try {
      accessSync(file, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** True when an nginx binary and the RTMP dynamic module are installed. */
export function nginxRtmpAvailable(): boolean {
  return nginxBinary() !== undefined && existsSync(NGINX_RTMP_MODULE);
}

function renderConfig(options: {
  prefix: string;
  rtmpPort: number;
  httpPort: number;
  hlsPath: string;
  onPublishUrl: string | undefined;
  fragmentSeconds: number;
  playlistSeconds: number;
}): string {
  const { prefix } = options;
  // As root the worker would otherwise drop to `nobody` and could not write a 0700 temp folder.
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `load_module ${NGINX_RTMP_MODULE};
${user}worker_processes 1;
pid ${path.join(prefix, 'nginx.pid')};
error_log ${path.join(prefix, 'error.log')} info;
events { worker_connections 1024; }

rtmp {
  server {
    listen 127.0.0.1:${options.rtmpPort};
    chunk_size 4096;
    application stream {
      live on;
      record off;
      hls on;
      hls_path ${options.hlsPath};
      hls_nested on;
      hls_fragment ${options.fragmentSeconds}s;
      hls_playlist_length ${options.playlistSeconds}s;
${options.onPublishUrl ? `      # The API's internal listener; INTERNAL_TOKEN rides in the query (keep error_log above info in production:\n      # at info, nginx-rtmp logs the callback URL).\n      on_publish ${options.onPublishUrl};\n` : ''}    }
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
    listen 127.0.0.1:${options.httpPort};
    location / {
      root ${options.hlsPath};
      types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
      add_header Cache-Control no-cache;
      add_header Access-Control-Allow-Origin *;
    }
  }
}
`;
}

/** The callback URL with the API's internal token in its query, as the README's nginx-rtmp example has it. */
function withInternalToken(url: string, token: string | undefined): string {
  if (token === undefined) return url;
  const withToken = new URL(url);
  withToken.searchParams.set('internal_token', token);
  return withToken.toString();
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Direct children of a process (Linux), e.g. nginx's worker and cache manager. */
export function childPids(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return text.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts nginx in the foreground (`daemon off; master_process on;`) on free 127.0.0.1 ports. */
export async function startNginxRtmp(options: NginxRtmpOptions): Promise<NginxRtmp> {
  const binary = nginxBinary();
  if (!binary || !existsSync(NGINX_RTMP_MODULE)) {
    throw new Error(`nginx-rtmp is not installed (need nginx and ${NGINX_RTMP_MODULE}: apt-get install nginx libnginx-mod-rtmp)`);
  }
  const prefix = await mkdtemp(path.join(os.tmpdir(), 'livestack-nginx-'));
  const hlsPath = path.resolve(options.hlsPath);
  await mkdir(hlsPath, { recursive: true });
  const [rtmpPort, httpPort] = await Promise.all([freePort(), freePort()]);
  const confPath = path.join(prefix, 'nginx.conf');
  await writeFile(
    confPath,
    renderConfig({
      prefix,
      rtmpPort,
      httpPort,
      hlsPath,
      onPublishUrl: options.onPublishUrl && withInternalToken(options.onPublishUrl, options.internalToken),
      fragmentSeconds: options.hlsFragmentSeconds ?? 2,
      playlistSeconds: options.playlistLengthSeconds ?? 60,
    }),
  );
  const errorLogPath = path.join(prefix, 'error.log');
  // -e: the error log used before the config is read (the compiled-in one may not be writable).
  const child: ChildProcess = spawn(
    binary,
    ['-p', `${prefix}/`, '-c', confPath, '-e', errorLogPath, '-g', 'daemon off; master_process on;'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pid = child.pid ?? 0;
  const running = () => child.exitCode === null && child.signalCode === null;
  const errorLog = () => readFile(errorLogPath, 'utf8').catch(() => '');

  const stop = async () => {
    const workers = childPids(pid);
    if (running()) {
      // SIGTERM is nginx's fast shutdown: it does not wait for publishers to leave.
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    // A SIGKILLed master leaves its workers behind.
    for (const worker of workers) if (alive(worker)) process.kill(worker, 'SIGKILL');
    await rm(prefix, { recursive: true, force: true });
  };

  try {
    await waitFor(
      `nginx-rtmp on ports ${rtmpPort} (RTMP) and ${httpPort} (HTTP)`,
      async () => {
        if (!running()) throw new Error(`nginx exited: ${stderr.trim() || (await errorLog()).trim()}`);
        return (await listening(rtmpPort)) && (await listening(httpPort));
      },
      { timeoutMs: 120_000 },
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    rtmpUrl: `rtmp://127.0.0.1:${rtmpPort}/stream`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    httpHost: `127.0.0.1:${httpPort}`,
    hlsPath,
    pid,
    pids: () => (running() ? [pid, ...childPids(pid)] : []),
    errorLog,
    stop,
  };
}
