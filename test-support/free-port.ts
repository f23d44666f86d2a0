/**
 * Ports for the servers tests start. Most are child processes (our services, redis-server, nginx)
 * that bind the port themselves, so the port cannot simply be held open until they do. Instead:
 *
 * - Ports come from outside the kernel's ephemeral range (`ip_local_port_range`), which the kernel
 *   never picks by itself: no `listen(0)` and no outgoing connection of any process can take a
 *   port between the moment it is handed out and the moment the child binds it.
 * - Each port handed out is claimed, for the life of the claiming process, by binding an abstract
 *   Unix socket named after it (Linux). The kernel makes that bind exclusive across processes and
 *   releases it when the process dies, however it dies: no lock files, nothing stale to clean up,
 *   and the same scope as TCP ports (the network namespace). So no two tests, in this process or
 *   in parallel ones, ever get the same port.
 * - A claimed port is bound once on 127.0.0.1 before it is handed out, to skip ports another
 *   program already listens on.
 *
 * What remains is a program outside our tests binding that very port explicitly in the meantime.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';

/** Lowest port handed out: above the ports a developer's own services use (1935, 6379, 8080, 9090…). */
const LOWEST_PORT = 20_000;
/** Linux's default ephemeral range, used when /proc does not say. */
const DEFAULT_EPHEMERAL: [number, number] = [32_768, 60_999];

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {
    // Not Linux, or /proc not mounted: assume the default.
  }
  return DEFAULT_EPHEMERAL;
}

/** The ports we may hand out: below the ephemeral range, or above it when that leaves more room. */
function portRange(): [number, number] {
  const [low, high] = ephemeralRange();
  const below: [number, number] = [LOWEST_PORT, low - 1];
  const above: [number, number] = [Math.max(high + 1, LOWEST_PORT), 65_535];
  const size = ([first, last]: [number, number]) => last - first + 1;
  const range = size(below) >= size(above) ? below : above;
  if (size(range) < 100) throw new Error(`no room for test ports outside the ephemeral range ${low}-${high}`);
  return range;
}

/** Resolves with the server listening, or false when the address is taken. */
function bind(server: net.Server, address: net.ListenOptions): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(false);
      else reject(error);
    };
    server.once('error', failed);
    server.listen(address, () => {
      server.off('error', failed);
      resolve(true);
    });
  });
}

/** Claims `port` for this process; false when another test process (or this one) holds it. */
async function claim(port: number): Promise<boolean> {
  const lock = net.createServer();
  if (!(await bind(lock, { path: `\0livestack-test-port-${port}` }))) return false;
  // Held until the process exits, without keeping it alive.
  lock.unref();
  const probe = net.createServer();
  if (await bind(probe, { port, host: '127.0.0.1', exclusive: true })) {
    await new Promise((resolve) => probe.close(resolve));
    return true;
  }
  // Something else listens there: leave the port to it.
  lock.close();
  return false;
}

/**
 * A TCP port on 127.0.0.1 that nothing listens on and that no other caller, in any test process,
 * gets while this process lives. Start the server on it soon: only our own tests are kept off it.
 */
export async function freePort(): Promise<number> {
  const [first, last] = portRange();
  const count = last - first + 1;
  // A random start spreads parallel processes over the range, so they rarely contend for a lock.
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const port = first + ((start + i) % count);
    if (await claim(port)) return port;
  }
  throw new Error(`no free port in ${first}-${last}`);
}
