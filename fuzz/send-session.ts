/**
 * Plays one fuzz session against the origin: its bytes in pieces of seeded sizes (so the parser
 * sees every kind of split), then the end of the stream. The origin's answers are read and dropped.
 */
import net from 'node:net';
import type { FuzzSession } from './rtmp-mutations.js';
import { SeededRandom } from './seeded-random.js';

/** A session still open this long after it sent everything is cut (the origin should have ended it). */
const LINGER_MS = 10_000;

export async function sendSession(port: number, session: FuzzSession): Promise<void> {
  const random = new SeededRandom(session.seed ^ 0x5eed5eed);
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  socket.on('error', () => undefined);
  socket.resume();
  let closed = false;
  const done = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  const { bytes } = session;
  for (let offset = 0; offset < bytes.length && !closed; ) {
    const size = random.pick([1, 7, 100, 1000, 4096, 16_384, 65_536]);
    const piece = bytes.subarray(offset, offset + size);
    offset += piece.length;
    await new Promise<void>((resolve) => socket.write(piece, () => resolve()));
  }
  socket.end();
  const linger = setTimeout(() => socket.destroy(), LINGER_MS);
  await done;
  clearTimeout(linger);
}
