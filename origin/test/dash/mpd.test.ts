import t from 'tap';
import { type Mpd, duration, renderMpd } from '../../src/dash/mpd.js';
import { descendants, readXml } from './fixtures/xml-reader.js';

const live: Mpd = {
  availabilityStartTime: new Date('2026-11-30T18:00:00.000Z'),
  publishTime: new Date('2026-11-30T18:00:10.250Z'),
  minimumUpdatePeriodSeconds: 2,
  timeShiftBufferDepthSeconds: 24,
  suggestedPresentationDelaySeconds: 6,
  minBufferTimeSeconds: 2,
  maxSegmentDurationSeconds: 2.1,
  periods: [
    {
      id: '1000',
      startSeconds: 0,
      adaptationSets: [
        {
          track: { kind: 'video', codec: 'avc1.64001f', width: 1280, height: 720, frameRate: 30 },
          timescale: 90000,
          bandwidth: 3_000_000,
          initialization: 'v-init-1000.mp4',
          media: 'v-1000-$Number$.m4s',
          presentationTimeOffset: 900,
          startNumber: 1,
          // Two 2 s segments, then one of 2.1 s.
          segments: [
            { start: 180900, duration: 180000 },
            { start: 360900, duration: 180000 },
            { start: 540900, duration: 189000 },
          ],
        },
        {
          track: { kind: 'audio', codec: 'mp4a.40.2', sampleRate: 48000, channels: 2 },
          timescale: 48000,
          bandwidth: 129_000,
          initialization: 'a-init-1000.mp4',
          media: 'a-1000-$Number$.m4s',
          presentationTimeOffset: 0,
          startNumber: 1,
          // 94 AAC frames, then 93 and 99: audio segments are whole frames, never exactly the video's.
          segments: [
            { start: 96256, duration: 96256 },
            { start: 192512, duration: 95232 },
            { start: 287744, duration: 101376 },
          ],
        },
      ],
    },
    {
      id: '1004',
      startSeconds: 9.5,
      adaptationSets: [
        {
          track: { kind: 'audio', codec: 'mp4a.40.5', sampleRate: 44100, channels: 1 },
          timescale: 44100,
          bandwidth: 64_000,
          initialization: 'a-init-1004.mp4',
          media: 'a-1004-$Number$.m4s',
          presentationTimeOffset: 418950,
          startNumber: 0,
          segments: [{ start: 418950, duration: 88064 }],
        },
      ],
    },
  ],
};

const LIVE_TEXT = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="dynamic" availabilityStartTime="2026-11-30T18:00:00.000Z" publishTime="2026-11-30T18:00:10.250Z" minimumUpdatePeriod="PT2S" timeShiftBufferDepth="PT24S" suggestedPresentationDelay="PT6S" minBufferTime="PT2S" maxSegmentDuration="PT2.1S">
  <Period id="1000" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="video" codecs="avc1.64001f" bandwidth="3000000" width="1280" height="720" frameRate="30">
        <SegmentTemplate timescale="90000" presentationTimeOffset="900" startNumber="1" initialization="v-init-1000.mp4" media="v-1000-$Number$.m4s">
          <SegmentTimeline>
            <S t="180900" d="180000" r="1"/>
            <S d="189000"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio" codecs="mp4a.40.2" bandwidth="129000" audioSamplingRate="48000">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>
        <SegmentTemplate timescale="48000" presentationTimeOffset="0" startNumber="1" initialization="a-init-1000.mp4" media="a-1000-$Number$.m4s">
          <SegmentTimeline>
            <S t="96256" d="96256"/>
            <S d="95232"/>
            <S d="101376"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
  <Period id="1004" start="PT9.5S">
    <AdaptationSet id="1" contentType="audio" mimeType="audio/mp4" segmentAlignment="true" startWithSAP="1">
      <Representation id="audio" codecs="mp4a.40.5" bandwidth="64000" audioSamplingRate="44100">
        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="1"/>
        <SegmentTemplate timescale="44100" presentationTimeOffset="418950" startNumber="0" initialization="a-init-1004.mp4" media="a-1004-$Number$.m4s">
          <SegmentTimeline>
            <S t="418950" d="88064"/>
          </SegmentTimeline>
        </SegmentTemplate>
      </Representation>
    </AdaptationSet>
  </Period>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:direct:2014" value="2026-11-30T18:00:10.250Z"/>
</MPD>
`;

t.test('a live manifest: dynamic, live profile, one AdaptationSet per track, SegmentTimeline with $Number$', async (t) => {
  t.equal(renderMpd(live), LIVE_TEXT);
});

t.test('read back: every segment of the timeline, numbered from startNumber, at its time', async (t) => {
  const mpd = readXml(renderMpd(live));
  t.equal(mpd.name, 'MPD');
  t.match(mpd.attributes, { type: 'dynamic', profiles: 'urn:mpeg:dash:profile:isoff-live:2011', minimumUpdatePeriod: 'PT2S' });
  const periods = descendants(mpd, 'Period');
  t.same(periods.map((p) => p.attributes.id), ['1000', '1004']);
  live.periods.forEach((period, p) => {
    const templates = descendants(periods[p]!, 'SegmentTemplate');
    t.equal(templates.length, period.adaptationSets.length);
    period.adaptationSets.forEach((set, s) => {
      const template = templates[s]!;
      // Expand the timeline as a player does: t, then d repeated r + 1 times, numbers one by one.
      const expanded: { number: number; start: number; duration: number }[] = [];
      let time = 0;
      let number = Number(template.attributes.startNumber);
      for (const entry of descendants(template, 'S')) {
        if (entry.attributes.t !== undefined) time = Number(entry.attributes.t);
        for (let i = 0; i <= Number(entry.attributes.r ?? 0); i++) {
          expanded.push({ number: number++, start: time, duration: Number(entry.attributes.d) });
          time += Number(entry.attributes.d);
        }
      }
      t.same(expanded, set.segments.map((segment, i) => ({ number: set.startNumber + i, ...segment })), `${period.id}/${set.track.kind}`);
      t.equal(template.attributes.media!.replace('$Number$', String(expanded[0]!.number)), `${set.track.kind[0]}-${period.id}-${set.startNumber}.m4s`);
    });
  });
});

t.test('an ended stream: no minimumUpdatePeriod (no more updates), its duration instead; a gap restates t', async (t) => {
  const ended: Mpd = {
    ...live,
    minimumUpdatePeriodSeconds: undefined,
    mediaPresentationDurationSeconds: 11.497,
    periods: [{ ...live.periods[1]!, adaptationSets: [{ ...live.periods[1]!.adaptationSets[0]!, segments: [{ start: 0, duration: 10 }, { start: 20, duration: 10 }] }] }],
  };
  const text = renderMpd(ended);
  t.notMatch(text, /minimumUpdatePeriod/);
  t.match(text, / mediaPresentationDuration="PT11\.497S" /);
  t.match(text, /<S t="0" d="10"\/>\n\s*<S t="20" d="10"\/>/);
});

t.test('durations and frame rates in the forms the schema allows', async (t) => {
  t.same([0, 2, 0.3339, 62.3456, -1].map(duration), ['PT0S', 'PT2S', 'PT0.334S', 'PT62.346S', 'PT0S']);
  const rate = (frameRate: number) => {
    const video = { ...live.periods[0]!.adaptationSets[0]!, track: { kind: 'video' as const, codec: 'avc1.64001f', frameRate } };
    return /frameRate="([^"]*)"/.exec(renderMpd({ ...live, periods: [{ id: '1', startSeconds: 0, adaptationSets: [video] }] }))?.[1];
  };
  t.same([25, 29.97, 59.94, 30.004, 12.5].map(rate), ['25', '30000/1001', '60000/1001', '30', '12500/1000']);
});
