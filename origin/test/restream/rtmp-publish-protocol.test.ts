/**
 * The publishing state machine against node-media-server's RTMP server protocol code, wired
 * byte to byte in memory: no sockets, so every exchange is deterministic.
 */
import t from 'tap';
import { nmsReference } from '../../src/ingest/nms-rtmp-connection.js';
import { decodeAmf0 } from '../../src/restream/amf0.js';
import { RestreamError } from '../../src/restream/restream-errors.js';
import { ChunkReader } from '../../src/restream/rtmp-chunk-reader.js';
import { createC0C1, createC2, SERVER_HANDSHAKE_SIZE } from '../../src/restream/rtmp-handshake.js';
import { RtmpPublishProtocol } from '../../src/restream/rtmp-publish-protocol.js';
import { hex } from '../media/fixtures/ts-reader.js';

interface NmsInvoke {
  cmd: string;
  transId: number;
  cmdObj: Record<string, unknown>;
  streamName: string;
}

interface NmsRtmpServer {
  parserData(data: Buffer): string | null;
  onOutputCallback: (buffer: Buffer) => void;
  onPacketCallback: (packet: { codec_type: number; dts: number; size: number; data: Buffer }) => void;
  onConnectCallback: (req: unknown) => void;
  onPushCallback: () => void;
  onConnect(invoke: NmsInvoke): void;
  onPublish(invoke: NmsInvoke): void;
  sendInvokeMessage(streamId: number, opt: Record<string, unknown>): void;
  setChunkSize(size: number): void;
  sendStatusMessage(streamId: number, level: string, code: string, description: string): void;
  parserPacket: { header: { stream_id: number } };
  connectCmdObj?: Record<string, unknown>;
  streamName?: string;
  streamId?: number;
}

const Rtmp = nmsReference.RtmpServerProtocol as new () => NmsRtmpServer;
const KEY = 'sk_live_0123456789';

/** Client and server, bytes passed one way at a time until neither has anything to say. */
function wire() {
  const server = new Rtmp();
  const toServer: Uint8Array[] = [];
  const toClient: Buffer[] = [];
  const sentByClient: Uint8Array[] = [];
  const events: string[] = [];
  const errors: RestreamError[] = [];
  const media: Array<{ type: number; dts: number; body: string }> = [];
  server.onOutputCallback = (buffer) => toClient.push(Buffer.from(buffer));
  server.onPacketCallback = (packet) => media.push({ type: packet.codec_type, dts: packet.dts, body: packet.data.subarray(0, packet.size).toString('hex') });
  const client = new RtmpPublishProtocol(
    { app: 'live', tcUrl: 'rtmp://127.0.0.1:1935/live', streamName: KEY },
    {
      send: (bytes) => {
        toServer.push(bytes);
        sentByClient.push(bytes);
      },
      connected: () => events.push('connected'),
      publishing: () => events.push('publishing'),
      failed: (error) => errors.push(error),
    },
  );
  const run = () => {
    while (toServer.length > 0 || toClient.length > 0) {
      const up = toServer.splice(0);
      if (up.length > 0) server.parserData(Buffer.concat(up));
      const down = toClient.splice(0);
      if (down.length > 0) client.receive(Buffer.concat(down));
    }
  };
  /** Messages the client sent after the handshake (C0+C1 and C2 skipped). */
  const clientMessages = () => {
    const all = Buffer.concat(sentByClient).subarray(1537 + 1536);
    return new ChunkReader().read(all);
  };
  return { server, client, run, events, errors, media, clientMessages };
}

t.test('handshake packets', async (t) => {
  const random = new Uint8Array(1528).fill(0xab);
  const c0c1 = createC0C1(0x01020304, random);
  // C0 version 3 | C1 time 0x01020304 | zero | random
  t.same(c0c1.subarray(0, 9), hex('03 01020304 00000000'));
  t.equal(c0c1.length, 1537);
  t.ok(c0c1.subarray(9).every((byte) => byte === 0xab));
  const server = new Uint8Array(SERVER_HANDSHAKE_SIZE).fill(7);
  server[0] = 3;
  t.same(createC2(server), server.subarray(1, 1537), 'C2 echoes S1');
  server[0] = 6;
  t.throws(() => createC2(server), /version 6, not 3/, 'RTMPE is refused');
});

t.test('connect, createStream and publish as an encoder does; media reaches the server', async (t) => {
  const { server, client, run, events, errors, media, clientMessages } = wire();
  client.start();
  run();
  t.same(errors, []);
  t.same(events, ['connected', 'publishing']);
  t.equal(client.phase, 'publishing');
  t.match(server.connectCmdObj, { app: 'live', tcUrl: 'rtmp://127.0.0.1:1935/live', type: 'nonprivate', flashVer: /^FMLE\/3\.0/ });
  t.equal(server.streamName, KEY);
  const names = clientMessages().filter((m) => m.type === 20).map((m) => decodeAmf0(m.payload)[0]);
  t.same(names, ['connect', 'releaseStream', 'FCPublish', 'createStream', 'publish']);
  const publish = clientMessages().find((m) => m.type === 20 && decodeAmf0(m.payload)[0] === 'publish');
  t.same(decodeAmf0(publish!.payload).slice(3), [KEY, 'live']);
  t.equal(publish!.streamId, server.streamId ?? 1, 'publish goes on the created stream');

  client.sendMedia(18, 0, hex('02 000d 40736574446174614672616d65'));
  client.sendMedia(9, 0, hex('17 00 000000 01'));
  client.sendMedia(8, 0, hex('af 00 1210'));
  client.sendMedia(9, 33, new Uint8Array(9000).fill(0x17));
  client.sendMedia(8, 0x1000000, hex('af 01 21'));
  run();
  t.same(media.map((m) => [m.type, m.dts]), [[18, 0], [9, 0], [8, 0], [9, 33], [8, 0x1000000]]);
  t.equal(media[3]!.body.length, 18_000, 'a 9000-byte frame crosses chunks intact');
  const csids = clientMessages().filter((m) => m.type === 8 || m.type === 9 || m.type === 18).map((m) => [m.type, m.csid]);
  t.same([...new Set(csids.map((pair) => pair.join(':')))], ['18:5', '9:6', '8:4'], 'data on cs 5, video on cs 6, audio on cs 4');

  client.unpublish();
  t.same(clientMessages().filter((m) => m.type === 20).slice(-2).map((m) => decodeAmf0(m.payload)[0]), ['FCUnpublish', 'deleteStream']);
});

t.test('pings are answered; the acknowledgement window is honoured', async (t) => {
  const { client, run, clientMessages } = wire();
  client.start();
  run();
  // User Control (type 4) PingRequest (6) with timestamp 0xabcd on csid 2
  client.receive(hex('02 000000 000006 04 00000000 0006 0000abcd'));
  const pong = clientMessages().filter((m) => m.type === 4).pop();
  t.same(Buffer.from(pong!.payload), Buffer.from(hex('0007 0000abcd')), 'PingResponse with the same timestamp');

  // Window Acknowledgement Size 100, then 120 more bytes of an ignored data message.
  client.receive(hex('02 000000 000004 05 00000000 00000064'));
  client.receive(Buffer.concat([hex('03 000000 00006e 12 00000000'), new Uint8Array(110)]));
  const ack = clientMessages().filter((m) => m.type === 3).pop();
  t.ok(ack, 'an Acknowledgement was sent');
  const acknowledged = new DataView(ack!.payload.buffer, ack!.payload.byteOffset).getUint32(0);
  t.ok(acknowledged > 3073, `it counts every byte received (${acknowledged})`);
});

t.test('a refused connect is a rejection with the server description, key masked', async (t) => {
  const { server, client, run, events, errors } = wire();
  server.onConnect = (invoke) => {
    // NMS chunks everything at 65535 bytes, so it must say so first, as its own onConnect does.
    server.setChunkSize(0xffff);
    server.sendInvokeMessage(0, {
      cmd: '_error', transId: invoke.transId, cmdObj: null,
      info: { level: 'error', code: 'NetConnection.Connect.Rejected', description: `Authentication failed for ${KEY}` },
    });
  };
  client.start();
  run();
  t.same(events, []);
  t.equal(errors.length, 1);
  t.match(errors[0], { code: 'RESTREAM_ERR_REJECTED', disposition: 'refusal', serverCode: 'NetConnection.Connect.Rejected' });
  t.match(errors[0]!.message, /refused connect \(NetConnection\.Connect\.Rejected: Authentication failed for \*\*\*\)/);
  t.notMatch(errors[0]!.message, KEY);
  t.equal(client.phase, 'closed');
});

t.test('a bad-name publish status is a rejection', async (t) => {
  const { server, client, run, events, errors } = wire();
  server.onPublish = () => {
    server.sendStatusMessage(server.parserPacket.header.stream_id, 'error', 'NetStream.Publish.BadName', `Stream ${KEY}?x=1 is invalid`);
  };
  client.start();
  run();
  t.same(events, ['connected']);
  t.match(errors[0], { code: 'RESTREAM_ERR_REJECTED', serverCode: 'NetStream.Publish.BadName' });
  t.notMatch(errors[0]!.message, KEY);
});

t.test('garbage from the server is a protocol error', async (t) => {
  const errors: RestreamError[] = [];
  const client = new RtmpPublishProtocol({ app: 'a', tcUrl: 'rtmp://h/a', streamName: 'k' }, {
    send: () => undefined, connected: () => undefined, publishing: () => undefined, failed: (e) => errors.push(e),
  });
  client.start();
  const notRtmp = Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'.padEnd(SERVER_HANDSHAKE_SIZE, ' '));
  client.receive(notRtmp);
  t.match(errors[0], { code: 'RESTREAM_ERR_PROTOCOL', message: /version 72, not 3/ });
});
