/**
 * A UDP relay that loses packets on purpose, standing between an SRT caller and a listener: it
 * drops `lossRate` of the SRT packets other than handshakes, in both directions, at random from a
 * seeded generator (the same seed drops the same packets of the same traffic). Handshakes pass so
 * that the test measures recovery, not connection set-up.
 */
import dgram from 'node:dgram';

export interface LossyUdpRelay {
  port: number;
  /** Packets dropped so far, by direction. */
  dropped: { toTarget: number; toCaller: number };
  close(): Promise<void>;
}

export async function startLossyUdpRelay({ targetPort, lossRate, seed }: { targetPort: number; lossRate: number; seed: number }): Promise<LossyUdpRelay> {
  const random = mulberry32(seed);
  const dropped = { toTarget: 0, toCaller: 0 };
  const front = dgram.createSocket('udp4');
  const upstreams = new Map<string, dgram.Socket>();
  const loses = (packet: Buffer): boolean => !isHandshake(packet) && random() < lossRate;
  front.on('message', (packet, caller) => {
    const key = `${caller.address}:${caller.port}`;
    let upstream = upstreams.get(key);
    if (!upstream) {
      const socket = dgram.createSocket('udp4');
      socket.on('message', (answer) => {
        if (loses(answer)) dropped.toCaller += 1;
        else front.send(answer, caller.port, caller.address);
      });
      socket.bind(0, '127.0.0.1');
      upstreams.set(key, socket);
      upstream = socket;
    }
    if (loses(packet)) dropped.toTarget += 1;
    else upstream.send(packet, targetPort, '127.0.0.1');
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    dropped,
    close: async () => {
      for (const socket of upstreams.values()) socket.close();
      await new Promise<void>((resolve) => front.close(() => resolve()));
    },
  };
}

function isHandshake(packet: Buffer): boolean {
  return packet.byteLength >= 4 && (packet.readUInt32BE(0) & 0xffff_0000) === 0x8000_0000;
}

/** A small seeded generator (mulberry32): uniform in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}
