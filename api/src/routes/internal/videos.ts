import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { INTERNAL_PATHS } from '../../../../internal-api/src/paths.js';
import type { ApiMetrics } from '../../api-metrics.js';
import { VideoLocation, VideoParams, VideoReport, VideoReportAnswer, VideoWithdrawQuery } from '../../../../internal-api/src/video-contract.js';
import { VideoNotFoundError, VideoStreamMismatchError, errorResponses } from '../../errors.js';
import type { OpenNames } from '../../publish/open-names.js';
import type { RecordingQuota } from '../../recording-quota.js';
import { isStreamIdShaped } from '../../schemas.js';
import type { StreamStore } from '../../store/stream-store.js';
import type { VideoStore } from '../../store/video-store.js';
import { playbackOf } from './playback-of.js';

export interface VideoReportRoutesOptions {
  videos: Pick<VideoStore, 'report' | 'get' | 'withdraw'>;
  streams: Pick<StreamStore, 'playback' | 'recording' | 'setRecordingStatus'>;
  openNames: Pick<OpenNames, 'allows'>;
  quota: Pick<RecordingQuota, 'reached'>;
  metrics: Pick<ApiMetrics, 'recordingQuotaStop'>;
}

/**
 * Internal: origins report the recordings they hold (and learn which to remove); edges look up
 * where a video is served and who may play it.
 */
export const videoReportRoutes: FastifyPluginAsyncTypebox<VideoReportRoutesOptions> = async (app, { videos, streams, openNames, quota, metrics }) => {
  /** An open name (ALLOWED_STREAMS) has no stream hash: its videos are kept while the name stays open. */
  const isOpenName = (stream: string) => !isStreamIdShaped(stream) && openNames.allows(stream);

  /**
   * A recording in progress whose owner is now at or over the recording quota (this report's
   * bytes counted): the origin closes it, and the stream says why. Checked at each report, so
   * the quota holds to within one report period of the streams recording.
   */
  const overQuota = async (stream: string): Promise<boolean> => {
    const owner = await streams.recording(stream);
    if (!owner || !(await quota.reached(owner.userId))) return false;
    await streams.setRecordingStatus(stream, 'quota-exceeded');
    return true;
  };

  app.put(
    INTERNAL_PATHS.video,
    {
      schema: {
        summary: 'An origin reports a recording it holds; keep: false tells it to remove the files',
        description:
          'Send at start for every recording held, on each change of state, and periodically, so that a lost report ' +
          'or a deletion converges. keep is false when the video was deleted through /v1 (for VIDEO_TOMBSTONE_SECONDS) ' +
          'or its stream no longer exists (or is no longer an open name); the video is then not listed. stop_recording is true ' +
          "when a live-inprogress video's owner is at or over their recording quota: close it now (it stays listed, ready).",
        params: VideoParams,
        body: VideoReport,
        response: { 200: VideoReportAnswer, ...errorResponses(400, 401, 409, 503) },
      },
    },
    async (request) => {
      const { uid } = request.params;
      const { body } = request;
      const openName = isOpenName(body.stream);
      const outcome = await videos.report(uid, body, openName);
      if ('mismatch' in outcome) throw new VideoStreamMismatchError(uid, outcome.mismatch, body.stream);
      if (outcome.keep && body.state === 'live-inprogress' && !openName && (await overQuota(body.stream))) {
        request.log.info({ stream: body.stream, video: uid }, "recording stopped: its owner's recording quota is reached");
        metrics.recordingQuotaStop('report');
        return { keep: true, stop_recording: true };
      }
      return { keep: outcome.keep };
    },
  );

  app.get(
    INTERNAL_PATHS.video,
    {
      schema: {
        summary: "Where a recorded video is served and its stream's playback policy, for the edge",
        description: '404 LIVE_ERR_VIDEO_NOT_FOUND: never reported, deleted, or its stream is gone',
        params: VideoParams,
        response: { 200: VideoLocation, ...errorResponses(400, 401, 404, 503) },
      },
    },
    async (request) => {
      const { uid } = request.params;
      const video = await videos.get(uid);
      const playback = video && (await playbackOf(streams, openNames, video.stream));
      if (!video || !playback) throw new VideoNotFoundError(uid);
      return {
        stream: video.stream,
        origin_host: video.originHost,
        state: video.state,
        require_signed_urls: playback.requireSignedUrls,
        allowed_origins: playback.allowedOrigins,
      };
    },
  );

  app.delete(
    INTERNAL_PATHS.video,
    {
      schema: {
        summary: 'The origin no longer holds a recording (its retention removed it, or the files were lost): unlisted; idempotent',
        description:
          'Only the origin that last reported the video withdraws it; a call from another changes nothing. ' +
          'Not a deletion through /v1: no tombstone, a later report registers the video again.',
        params: VideoParams,
        querystring: VideoWithdrawQuery,
        response: { 204: Type.Null(), ...errorResponses(400, 401, 503) },
      },
    },
    async (request, reply) => {
      const video = await videos.get(request.params.uid);
      if (video) await videos.withdraw(video, request.query.origin_id);
      return reply.code(204).send(null);
    },
  );
};
