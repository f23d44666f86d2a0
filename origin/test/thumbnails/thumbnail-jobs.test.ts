import t from 'tap';
import { ThumbnailJobs, ThumbnailQueueFullError } from '../../src/thumbnails/thumbnail-jobs.js';

/** A job the test finishes by hand, and whether it started. */
function manualJob(result: string) {
  let finish!: () => void;
  let fail!: (error: Error) => void;
  const job = {
    started: false,
    run: () => {
      job.started = true;
      return new Promise<Buffer>((resolve, reject) => {
        finish = () => resolve(Buffer.from(result));
        fail = reject;
      });
    },
    finish: () => finish(),
    fail: (error: Error) => fail(error),
  };
  return job;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

t.test('at most `concurrency` run; the next waits for a place, in order', async (t) => {
  const jobs = new ThumbnailJobs({ concurrency: 2, queueLimit: 2 });
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map(manualJob);
  const results = [a, b, c, d].map((job, index) => jobs.run(`key-${index}`, job!.run));
  t.same([a!.started, b!.started, c!.started, d!.started], [true, true, false, false]);
  t.same(jobs.counts(), { running: 2, waiting: 2 });
  b!.finish();
  t.equal((await results[1]!).toString(), 'b');
  await settle();
  t.same([c!.started, d!.started], [true, false], 'the first waiting job takes the freed place');
  a!.fail(new Error('ffmpeg failed'));
  await t.rejects(results[0]!, /ffmpeg failed/, 'a failure goes to its callers only');
  await settle();
  t.ok(d!.started, 'and frees its place too');
  c!.finish();
  d!.finish();
  t.same((await Promise.all(results.slice(2))).map(String), ['c', 'd']);
  t.same(jobs.counts(), { running: 0, waiting: 0 });
});

t.test('the same key while waiting or running is one job', async (t) => {
  const jobs = new ThumbnailJobs({ concurrency: 1, queueLimit: 1 });
  const running = manualJob('running');
  const waiting = manualJob('waiting');
  const first = jobs.run('same', running.run);
  const second = jobs.run('same', manualJob('never').run);
  t.equal(first, second, 'joined while running');
  const queued = jobs.run('queued', waiting.run);
  t.equal(jobs.run('queued', manualJob('never').run), queued, 'joined while waiting, without taking another place');
  running.finish();
  t.equal(String(await first), 'running');
  t.ok(waiting.started);
  waiting.finish();
  t.equal(String(await queued), 'waiting');
  const again = manualJob('again');
  const later = jobs.run('same', again.run);
  t.ok(again.started, 'once done, the key is made again when asked (the caller keeps what it wants kept)');
  again.finish();
  await later;
});

t.test('a full queue refuses at once, and takes jobs again once a place is free', async (t) => {
  const jobs = new ThumbnailJobs({ concurrency: 1, queueLimit: 1 });
  const running = manualJob('running');
  const waiting = manualJob('waiting');
  const first = jobs.run('1', running.run);
  const second = jobs.run('2', waiting.run);
  const refused = manualJob('refused');
  await t.rejects(jobs.run('3', refused.run), ThumbnailQueueFullError);
  t.notOk(refused.started);
  running.finish();
  await first;
  t.ok(waiting.started, 'the waiting job runs as soon as the first is done');
  const third = manualJob('third');
  const accepted = jobs.run('3', third.run);
  waiting.finish();
  await second;
  t.ok(third.started);
  third.finish();
  t.equal(String(await accepted), 'third');
});

t.test('queue limit 0: only running jobs, none waiting', async (t) => {
  const jobs = new ThumbnailJobs({ concurrency: 1, queueLimit: 0 });
  const running = manualJob('running');
  const first = jobs.run('1', running.run);
  await t.rejects(jobs.run('2', manualJob('x').run), ThumbnailQueueFullError);
  running.finish();
  await first;
});
