import { join } from 'node:path';
import { createLogger, loggerOptions } from '../../service-kit/src/logger.js';
import { withSecretFiles } from '../../service-kit/src/secret-files.js';
import { onShutdownSignal } from '../../service-kit/src/shutdown.js';
import { HlsDirectoryWriter } from './hls/hls-directory-writer.js';
import { sweepStaleStreamFolders } from './hls/stream-folder.js';
import { InternalApiClient } from '../../internal-api/src/internal-api-client.js';
import { ApiRestreamClient } from './control/api-restream-client.js';
import { IngestHeartbeat } from './control/ingest-heartbeat.js';
import { OriginStreams } from './control/origin-streams.js';
import { RestreamCoordinator } from './control/restream-coordinator.js';
import { FallbackCache } from './fallback/index.js';
import { buildHttpApp } from './http/app.js';
import { ApiPublishAuthorizer } from './ingest/api-publish-authorizer.js';
import { PublishGate } from './ingest/publish-gate.js';
import { RtmpListener } from './ingest/rtmp-listener.js';
import { SrtIngest } from './ingest/srt-ingest.js';
import { WebSocketIngest } from './ingest/websocket-ingest.js';
import { PullSources } from './pull/pull-sources.js';
import { AddressPolicy } from '../../network-policy/src/address-policy.js';
import { LiveStreamRegistry } from './packaging/live-stream-registry.js';
import { LowLatencyStreams } from './packaging/low-latency-streams.js';
import { SpillFolder } from './packaging/segment-spill.js';
import { SegmentDelayStats } from './packaging/segment-delay-stats.js';
import { processMemory } from './process-memory.js';
import { OriginMetrics } from './origin-metrics.js';
import { Recorder } from './recording/recorder.js';
import { closeUnfinishedRecordings } from './recording/recording-recovery.js';
import { RecordingRetention } from './recording/recording-retention.js';
import { VideoReporter } from './recording/video-reporter.js';
import { readOriginSettings } from './settings.js';
import { ThumbnailJobs } from './thumbnails/thumbnail-jobs.js';
import { Thumbnails } from './thumbnails/thumbnails.js';

const logger = createLogger('origin');

async function main(): Promise<void> {
  const settings = readOriginSettings(withSecretFiles(process.env));
  const swept = await sweepStaleStreamFolders(settings.hls.hlsPath);
  if (swept.removed.length > 0) logger.info({ removed: swept.removed.length }, 'removed stream folders left by a previous run');
  const recovered = await closeUnfinishedRecordings(settings.recordings.recordingsPath);
  if (recovered.closed.length + recovered.removed.length > 0) {
    logger.warn({ closed: recovered.closed, removed: recovered.removed }, 'closed the recordings a previous run left open');
  }
  const api = new InternalApiClient({
    apiUrl: settings.apiUrl,
    token: settings.internalToken,
    timeoutMs: settings.authorizeTimeoutMs,
    connections: settings.apiConnections,
  });
  // Declared before the recorder, whose changes it reports; it starts once the recorder exists.
  const videoReporter: VideoReporter = new VideoReporter({
    registry: api,
    recordingsPath: settings.recordings.recordingsPath,
    originId: settings.originId,
    originHost: settings.originHost,
    intervalMs: settings.recordings.reportIntervalMs,
    discard: (uid) => recorder.discard(uid),
    stopRecording: (uid) => recorder.stopRecording(uid),
    logger,
  });
  const retention = new RecordingRetention({
    recordingsPath: settings.recordings.recordingsPath,
    retentionDays: settings.recordings.retentionDays,
    logger,
    onRemoved: () => void videoReporter.removed(),
  });
  retention.start();
  const recorder: Recorder = new Recorder({
    recordingsPath: settings.recordings.recordingsPath,
    targetDurationSeconds: Math.ceil(settings.segments.targetDurationSeconds),
    maxDurationSeconds: settings.recordings.maxDurationSeconds,
    logger,
    onChange: (stream, uid) => videoReporter.changed(stream, uid),
  });
  videoReporter.start();

  const hls = new HlsDirectoryWriter({
    hlsPath: settings.hls.hlsPath,
    targetDurationSeconds: Math.ceil(settings.segments.targetDurationSeconds),
    playlistLengthSeconds: settings.hls.playlistLengthSeconds,
    segmentGraceSeconds: settings.hls.segmentGraceSeconds,
    cleanupAfterEndSeconds: settings.hls.cleanupAfterEndSeconds,
    onBackgroundError: (error) => logger.warn({ err: error }, 'HLS housekeeping failed'),
  });
  // HLS_LOW_LATENCY off: no CMAF work at all, and ll.m3u8 answers 404.
  const lowLatency = settings.lowLatency.enabled
    ? new LowLatencyStreams({
        partTargetSeconds: settings.lowLatency.partTargetSeconds,
        segments: settings.segments,
        windowSeconds: settings.lowLatency.windowSeconds,
        graceSeconds: settings.lowLatency.graceSeconds,
        cleanupAfterEndSeconds: settings.hls.cleanupAfterEndSeconds,
        // Beside the stream's MPEG-TS files: the start-up sweep and the folder's cleanup take them too.
        spill: (stream) => new SpillFolder(join(settings.hls.hlsPath, stream)),
        onSpillError: (stream, error) =>
          logger.warn({ err: error, stream }, 'LL-HLS segments could not be written to disk: they stay in memory until a write succeeds'),
      })
    : undefined;
  const delays = new SegmentDelayStats();
  // Its sources are read at each scrape, once everything below exists.
  const metrics: OriginMetrics = new OriginMetrics({
    liveStreams: () => streams.size,
    fallbacksPlaying: () => streams.fallbacks,
    publishes: () => streams.publishes(),
    pushStates: () => restream.pushStates(),
    recordingsOpen: () => recorder.size,
    recordingTotals: () => recorder.recordingTotals,
  });
  const fallbackCache = new FallbackCache({
    cachePath: settings.fallback.cachePath,
    client: api,
    timeoutMs: settings.fallback.downloadTimeoutMs,
    maxFileBytes: settings.fallback.maxFileBytes,
    logger,
  });
  await fallbackCache.prepare();
  const restream = new RestreamCoordinator({
    client: new ApiRestreamClient(api, settings.originId),
    settings: settings.restream,
    reconnectWindowMs: settings.restreamReconnectWindowMs,
    statusIntervalMs: settings.restreamStatusIntervalMs,
    logger,
    fallbackCache,
    counters: metrics,
  });
  // Readiness: RTMP listens and the API accepted a heartbeat (so it knows this origin and can
  // answer its publishers' authorizations). Both stay true once met.
  const readiness = { rtmp: false, heartbeat: false };
  let draining = false;
  let heartbeat: IngestHeartbeat | undefined;
  const streams: LiveStreamRegistry = new LiveStreamRegistry({
    hls,
    lowLatency,
    segments: settings.segments,
    logger,
    delays: {
      record: (delayMs) => {
        delays.record(delayMs);
        metrics.record(delayMs);
      },
    },
    refusals: metrics,
    recorder,
    abr: { settings: settings.abr },
    onPublishEnded: (publish) => heartbeat?.publishEnded(publish),
    restream,
    fallback: {
      tags: async (stream) => {
        const ref = restream.fallbackOf(stream);
        return ref ? fallbackCache.tags(stream, ref) : undefined;
      },
      // The fallback stands in for the publisher as long as the pushes wait for it.
      windowMs: settings.restreamReconnectWindowMs,
    },
  });
  heartbeat = new IngestHeartbeat({
    client: api,
    originId: settings.originId,
    description: settings.ingest,
    intervalMs: settings.heartbeatMs,
    live: new OriginStreams({ registry: streams, restream, fallbackCache, logger }),
    logger,
    // Every accepted heartbeat's answer carries the restream versions (required by the API).
    onRestreamVersions: (versions) => {
      if (!readiness.heartbeat) {
        readiness.heartbeat = true;
        logger.info('origin ready: the API accepted its first heartbeat');
      }
      restream.versionsChanged(versions);
    },
  });
  const gate = new PublishGate({
    authorizer: new ApiPublishAuthorizer(api, settings.originId),
    target: streams,
    logger,
    maxPendingBytes: settings.maxPendingBytes,
    refusals: metrics,
  });
  const rtmp = new RtmpListener({
    host: settings.rtmpHost,
    port: settings.rtmpPort,
    logger,
    limits: settings.rtmpLimits,
    onPublish: (publish) => gate.admit(publish),
    refusals: metrics,
  });
  // Browser go-live: the same authorizer and target as RTMP, on the HTTP port.
  const webSocketIngest = new WebSocketIngest({
    authorizer: new ApiPublishAuthorizer(api, settings.originId),
    target: streams,
    limits: settings.webSocketLimits,
    ffmpegPath: settings.abr.ffmpegPath,
    logger,
    refusals: metrics,
  });
  // SRT callers: the same authorizer and target again, their MPEG-TS demuxed in process.
  const srtIngest = new SrtIngest({
    settings: settings.srt,
    authorizer: new ApiPublishAuthorizer(api, settings.originId),
    target: streams,
    logger,
    refusals: metrics,
  });
  // Pull sources publish through the same gate as RTMP, WebSocket and SRT publishers, with the stream's key.
  const pulls = new PullSources({
    client: api,
    originId: settings.originId,
    settings: settings.pull,
    ffmpegPath: settings.abr.ffmpegPath,
    retry: {
      attempts: 0,
      delayS: settings.restream.retryDelayS,
      maxDelayS: settings.restream.retryMaxDelayS,
      jitter: settings.restream.retryJitter,
    },
    addressPolicy: new AddressPolicy({ allowPrivate: settings.restream.allowPrivateTargets }),
    admit: (publish) => gate.admit(publish),
    logger,
  });
  const thumbnailJobs = new ThumbnailJobs(settings.thumbnails);
  const thumbnails = new Thumbnails({
    hlsPath: settings.hls.hlsPath,
    jobs: thumbnailJobs,
    timeoutMs: settings.thumbnails.timeoutMs,
    keptPerVideo: settings.thumbnails.keptPerVideo,
    logger,
  });
  const http = buildHttpApp({
    hlsPath: settings.hls.hlsPath,
    lowLatency,
    logger: { ...loggerOptions('origin'), level: process.env.HTTP_LOG_LEVEL ?? 'warn' },
    stats: () => ({
      liveStreams: streams.size,
      fallbacksPlaying: streams.fallbacks,
      segmentDelay: delays.summary(),
      memory: processMemory(),
      thumbnailJobs: thumbnailJobs.counts(),
    }),
    readiness: () => ({ ...readiness }),
    draining: () => draining,
    metrics,
    metricsToken: settings.metricsToken,
    originSecrets: settings.originSecrets,
    recording: (uid) => videoReporter.recording(uid),
    thumbnails: {
      thumbnails,
      queueLimit: settings.thumbnails.queueLimit,
      liveMaxAgeS: settings.thumbnails.liveMaxAgeS,
    },
  });

  webSocketIngest.attach(http.server);
  await http.listen({ host: settings.httpHost, port: settings.httpPort });
  const rtmpPort = await rtmp.listen();
  const srtPort = await srtIngest.listen();
  readiness.rtmp = true;
  heartbeat.start();
  pulls.start();
  logger.info(
    { originId: settings.originId, rtmp: `${settings.rtmpHost}:${rtmpPort}`, srt: `${settings.srt.host}:${srtPort}`, http: `${settings.httpHost}:${settings.httpPort}`, hlsPath: settings.hls.hlsPath },
    'origin listening',
  );

  // SIGTERM drains: /ready fails (the load balancer sends new publishers elsewhere), no new RTMP,
  // WebSocket or SRT publisher is taken, live publishers of every kind go on (their viewers and targets too) until they stop or
  // DRAIN_TIMEOUT_SECONDS; then the origin stops. SIGINT stops at once.
  const drain = async (): Promise<void> => {
    draining = true;
    rtmp.stopAccepting();
    webSocketIngest.stopAccepting();
    srtIngest.stopAccepting();
    // A draining origin's pulls go to another origin once their leases lapse.
    await pulls.stop();
    logger.info({ publishers: rtmp.publishers, srtPublishers: srtIngest.size, webSocketPublishers: webSocketIngest.size, drainTimeoutSeconds: settings.drainTimeoutMs / 1000 }, 'draining: taking no new publishers');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), settings.drainTimeoutMs);
    });
    const noPublishers = Promise.all([rtmp.whenNoPublishers(), srtIngest.whenNoPublishers(), webSocketIngest.whenNoPublishers()]);
    const cut = await Promise.race([noPublishers.then(() => false), timedOut]);
    clearTimeout(timer);
    if (cut) logger.warn({ publishers: rtmp.publishers }, 'drain timed out: cutting the publishers left (they reconnect elsewhere)');
    else logger.info('drained: no publisher left');
  };
  const stop = async (): Promise<void> => {
    // Before the listener closes its connections: a publisher cut by the shutdown must not start its fallback.
    await streams.closeAll();
    // Every session's last segment is in: each open video closes, playable up to here.
    await recorder.closeAll();
    retention.stop();
    videoReporter.stop();
    await rtmp.close();
    webSocketIngest.close();
    await srtIngest.close();
    await pulls.stop();
    await restream.stop();
    await heartbeat?.stop();
    // Its last requests (the leave, the pushes' final statuses) are answered by now.
    await api.close();
    await hls.close();
    // Before the HTTP server closes: blocked playlist requests are answered rather than held.
    lowLatency?.close();
    await http.close();
  };
  onShutdownSignal(logger, stop, { drain });
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'origin failed to start');
  process.exit(1);
});
