import t from 'tap';
import { pino } from 'pino';
import type { FlvTag, FlvTagSink, IncomingPublish } from '../../src/ingest/flv-tag-source.js';
import type { PublishAuthorizer, PublishDecision } from '../../src/ingest/publish-authorizer.js';
import { PublishGate, type PublishTarget } from '../../src/ingest/publish-gate.js';
import type { PublishRefusal } from '../../src/ingest/publish-refusal.js';

const logger = pino({ level: 'silent' });

/** An in-process publisher: the test pushes tags as the RTMP session would. */
function fakePublish(requestedName = 'golive') {
  let sink: FlvTagSink | undefined;
  const closeListeners: Array<() => void> = [];
  const state = { disconnected: false };
  const publish: IncomingPublish = {
    id: 'session-1',
    app: 'stream',
    requestedName,
    remoteAddress: '127.0.0.1',
    setSink: (next) => {
      sink = next;
    },
    onClose: (listener) => closeListeners.push(listener),
    disconnect: () => {
      state.disconnected = true;
      for (const listener of closeListeners.splice(0)) listener();
    },
  };
  const send = (timestampMs: number, byte: number) => {
    const body = new Uint8Array([byte, 1, 2, 3]);
    sink?.({ type: 9, timestampMs, body });
    body.fill(0xff); // the RTMP parser reuses its buffer: the gate must have copied it
  };
  return { publish, send, state };
}

/** The refusals the gate counted, in order. */
function refusalLog() {
  const reasons: PublishRefusal[] = [];
  return { reasons, refusals: { publishRefused: (reason: PublishRefusal) => reasons.push(reason) } };
}

function deferredAuthorizer() {
  let resolve!: (decision: PublishDecision) => void;
  const authorizer: PublishAuthorizer = {
    authorize: () => new Promise((r) => (resolve = r)),
  };
  return { authorizer, decide: (decision: PublishDecision) => resolve(decision) };
}

function recordingTarget() {
  const opened: Array<{ name: string; tags: FlvTag[]; ended: boolean }> = [];
  const target: PublishTarget = {
    open: ({ streamName: name }) => {
      const entry = { name, tags: [] as FlvTag[], ended: false };
      opened.push(entry);
      return {
        sink: (tag) => entry.tags.push({ ...tag, body: tag.body.slice() }),
        end: () => {
          entry.ended = true;
        },
      };
    },
  };
  return { target, opened };
}

t.test('media sent before authorization is held, then delivered in order under the public name', async (t) => {
  const { authorizer, decide } = deferredAuthorizer();
  const { target, opened } = recordingTarget();
  const gate = new PublishGate({ authorizer, target, logger, maxPendingBytes: 1024 });
  const { publish, send, state } = fakePublish('publish_abc_secret');
  gate.admit(publish);
  send(0, 0x17);
  send(33, 0x27);
  t.equal(opened.length, 0, 'nothing reaches the packager before the API answered');
  decide({ allowed: true, streamName: 'abc', keyGeneration: 0 });
  await new Promise((r) => setImmediate(r));
  send(66, 0x27);
  t.equal(opened.length, 1);
  t.equal(opened[0]?.name, 'abc', 'packaged under the name the API returned');
  t.same(opened[0]?.tags.map((tag) => [tag.timestampMs, tag.body[0]]), [[0, 0x17], [33, 0x27], [66, 0x27]]);
  t.notOk(state.disconnected);
  publish.disconnect();
  t.ok(opened[0]?.ended, 'the packager is told when the publisher goes away');
});

t.test('a denied publish is disconnected and nothing of it is packaged', async (t) => {
  const { authorizer, decide } = deferredAuthorizer();
  const { target, opened } = recordingTarget();
  const { reasons, refusals } = refusalLog();
  const gate = new PublishGate({ authorizer, target, logger, maxPendingBytes: 1024, refusals });
  const { publish, send, state } = fakePublish();
  gate.admit(publish);
  send(0, 0x17);
  decide({ allowed: false, reason: 'API answered 403', refusal: 'denied' });
  await new Promise((r) => setImmediate(r));
  t.ok(state.disconnected);
  t.equal(opened.length, 0);
  t.same(reasons, ['denied'], 'counted by the kind the authorizer gave');
});

t.test('a publisher that floods before authorization is disconnected', async (t) => {
  const { authorizer } = deferredAuthorizer();
  const { target, opened } = recordingTarget();
  const { reasons, refusals } = refusalLog();
  const gate = new PublishGate({ authorizer, target, logger, maxPendingBytes: 10, refusals });
  const { publish, send, state } = fakePublish();
  gate.admit(publish);
  send(0, 0x17);
  send(33, 0x27);
  send(66, 0x27);
  send(99, 0x27);
  t.ok(state.disconnected);
  t.equal(opened.length, 0);
  t.same(reasons, ['early_media_overflow'], 'once, whatever the socket still delivers');
});

t.test('a target that refuses the stream (already live here) disconnects the publisher', async (t) => {
  const authorizer: PublishAuthorizer = { authorize: async () => ({ allowed: true, streamName: 'golive', keyGeneration: 0 }) };
  const target: PublishTarget = { open: () => ({ refused: 'stream "golive" is already live on this origin', reason: 'already_live' }) };
  const { reasons, refusals } = refusalLog();
  const gate = new PublishGate({ authorizer, target, logger, maxPendingBytes: 1024, refusals });
  const { publish, state } = fakePublish();
  gate.admit(publish);
  await new Promise((r) => setImmediate(r));
  t.ok(state.disconnected);
  t.same(reasons, ['already_live']);
});
