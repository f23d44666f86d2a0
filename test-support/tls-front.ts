/**
 * TLS at the front, as `npm start` runs it: HAProxy with deploy/haproxy/tls-single-host.cfg
 * terminating RTMPS and HTTPS in front of a platform's origin (RTMP) and edge (HTTP), with the
 * self-signed certificate scripts/make-tls-cert.sh makes. The certificate's PEM is also the CA a
 * client trusts (curl --cacert, ffmpeg -ca_file).
 */
import { execFile, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './repo-root.js';
import { waitFor } from './wait-for.js';

const execFileAsync = promisify(execFile);

export interface TlsFront {
  /** The certificate and key in one PEM; the certificate alone is the CA to trust. */
  certPem: string;
  rtmpsPort: number;
  httpsPort: number;
  /** Everything HAProxy printed, for a failure message. */
  logs(): string;
  stop(): Promise<void>;
}

export interface TlsFrontPorts {
  /** The origin's plain RTMP and HTTP ports (WebSocket ingest) and the edge's plain HTTP port (on 127.0.0.1). */
  rtmpPort: number;
  originHttpPort: number;
  edgePort: number;
  /** Where HAProxy listens for RTMPS and HTTPS (on 127.0.0.1). */
  rtmpsPort: number;
  httpsPort: number;
}

/**
 * The certificate's public key pin (base64 SHA-256 of its SubjectPublicKeyInfo), as Chromium's
 * `--ignore-certificate-errors-spki-list` takes it: the browser trusts this one key and no other
 * certificate error.
 */
export async function spkiPin(certPem: string): Promise<string> {
  const certificate = new X509Certificate(await readFile(certPem));
  return createHash('sha256').update(certificate.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
}

/** Runs curl with the front's certificate trusted; resolves with what it printed (curl fails on 4xx/5xx with -f). */
export async function curlTrusting(certPem: string, args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('curl', ['-sS', '--max-time', '20', '--cacert', certPem, ...args], { maxBuffer: 64 * 1024 * 1024, encoding: 'latin1' });
  return stdout;
}

export async function startTlsFront({ rtmpPort, originHttpPort, edgePort, rtmpsPort, httpsPort }: TlsFrontPorts): Promise<TlsFront> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'livestack-tls-'));
  const certPem = path.join(dir, 'local.pem');
  await execFileAsync('bash', [path.join(repoRoot, 'scripts/make-tls-cert.sh'), certPem]);
  const child = spawn('haproxy', ['-db', '-f', path.join(repoRoot, 'deploy/haproxy/tls-single-host.cfg')], {
    env: {
      ...process.env,
      TLS_CERT_PEM: certPem,
      TLS_BIND: '127.0.0.1',
      RTMPS_PORT: String(rtmpsPort),
      HTTPS_PORT: String(httpsPort),
      RTMP_PORT: String(rtmpPort),
      EDGE_PORT: String(edgePort),
      ORIGIN_HTTP_PORT: String(originHttpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    // Bounded: the last 64 KB are enough to explain a failure.
    output = (output + chunk.toString()).slice(-65_536);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitFor('HAProxy to answer HTTPS with the edge behind it', async () => {
      if (child.exitCode !== null) throw new Error(`haproxy exited: ${output}`);
      return curlTrusting(certPem, ['-f', '-o', '/dev/null', `https://localhost:${httpsPort}/health`]).then(() => true, () => false);
    }, { timeoutMs: 30_000, intervalMs: 200 });
  } catch (error) {
    await stop();
    throw error;
  }
  return { certPem, rtmpsPort, httpsPort, logs: () => output, stop };
}
