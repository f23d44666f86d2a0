/**
 * The edge's hot path: `GET|HEAD /<stream>/<media file>` (and a recorded video's files, and the
 * thumbnails of both) answered on node's own request and response, outside fastify's router and hooks (which cost about as much as a cache hit itself).
 * Every other request (health, metrics, views, preflights, bad paths) goes to fastify.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EdgeMetrics } from './edge-metrics.js';
import { errorReply, logEdgeError, toEdgeError, type ErrorLog } from './error-reply.js';
import type { MediaDelivery } from './media-delivery.js';
import type { PlaybackGuard } from './playback-guard.js';
import { withManifestPlaybackToken, withPlaybackToken } from './playlist-token.js';
import type { ResolvedRoute, RouteResolver } from './route-resolver.js';
import { originQueryOf } from './low-latency-query.js';
import { StreamNotLiveError, ThumbnailQueryError } from './errors.js';
import { classifyPath, mediaKindOf, THUMBNAIL_FILE, THUMBNAIL_FOLDER, VIDEOS_FOLDER, type MediaKind } from './stream-path.js';
import { parseThumbnailQuery, thumbnailQueryString } from '../../internal-api/src/thumbnail-query.js';
import type { ResolvedVideo, VideoResolver } from './video-resolver.js';
import { viewerSessionId, type ViewerSessions } from './viewer-sessions.js';

export interface MediaHandlerOptions {
  resolver: RouteResolver;
  videos: VideoResolver;
  guard: PlaybackGuard;
  viewers: ViewerSessions;
  media: MediaDelivery;
  metrics: EdgeMetrics;
  log: ErrorLog;
}

/** A media request, once its stream's route is known. */
interface MediaTarget {
  /** The stream, or `videos/<uid>` for a recorded video. */
  stream: string;
  /** The stream whose playback policy applies (and whose tokens admit): a video's is the one it was recorded from. */
  policyStream: string;
  /** Counted as a live viewer of the stream: not for a recorded video or a thumbnail. */
  viewer: boolean;
  file: string;
  /** See MediaRequest.folder. */
  folder?: string;
  /** The raw request target, with its query. */
  url: string;
  /** See MediaRequest.originQuery. */
  originQuery: string;
  /** See MediaRequest.mutable and madeOnRequest: a thumbnail. */
  mutable?: boolean;
  madeOnRequest?: boolean;
  route: ResolvedRoute;
}

export class MediaHandler {
  constructor(private readonly options: MediaHandlerOptions) {}

  /** Takes a media request and answers it; false for any other request, which it leaves alone. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const url = req.url ?? '';
    const verdict = classifyPath(url);
    if (verdict.kind === 'refused' || verdict.kind === 'not-media') return false;

    const kind = mediaKindOf(verdict.kind === 'media' || verdict.kind === 'video' ? verdict.file : THUMBNAIL_FILE);
    // Seed 004: the live input's URLs answer 204 while nothing is live; players poll them.
    const offlineAnswer = kind === 'playlist' || verdict.kind === 'live-thumbnail' ? 204 : undefined;
    try {
      let answered: void | Promise<void>;
      if (verdict.kind === 'video') answered = this.serveVideo(req, res, verdict.uid, verdict.file, url);
      else if (verdict.kind === 'video-thumbnail') answered = this.serveVideoThumbnail(req, res, verdict.uid, url);
      else if (verdict.kind === 'live-thumbnail') {
        // A malformed query is refused before anything is asked of the API or an origin.
        answered = this.serve(req, res, {
          stream: verdict.stream,
          policyStream: verdict.stream,
          viewer: false,
          file: THUMBNAIL_FILE,
          folder: `${verdict.stream}/${THUMBNAIL_FOLDER}`,
          url,
          originQuery: thumbnailOriginQuery(verdict.stream, url),
          mutable: true,
          madeOnRequest: true,
        });
      } else {
        // Malformed directives are refused before anything is asked of the API or an origin.
        answered = this.serve(req, res, {
          stream: verdict.stream,
          policyStream: verdict.stream,
          viewer: true,
          file: verdict.file,
          url,
          originQuery: originQueryOf(verdict.stream, verdict.file, url),
        });
      }
      if (answered) {
        answered.then(
          () => this.count(kind, res),
          (error: unknown) => this.fail(kind, res, error, offlineAnswer),
        );
      } else this.count(kind, res);
    } catch (error) {
      this.fail(kind, res, error, offlineAnswer);
    }
    return true;
  }

  private serve(req: IncomingMessage, res: ServerResponse, request: Omit<MediaTarget, 'route'>): void | Promise<void> {
    const route = this.options.resolver.known(request.stream);
    if (route) return this.answer(req, res, { ...request, route });
    return this.options.resolver.resolve(request.stream).then((resolved) => this.answer(req, res, { ...request, route: resolved }));
  }

  /** `/videos/<uid>/<file>`: from the origin that recorded it, under its stream's playback policy. */
  private async serveVideo(req: IncomingMessage, res: ServerResponse, uid: string, file: string, url: string): Promise<void> {
    const video = await this.options.videos.resolve(uid);
    const folder = `${VIDEOS_FOLDER}/${uid}`;
    const route = videoRoute(video);
    return this.answer(req, res, { stream: folder, policyStream: video.stream, viewer: false, file, folder, url, originQuery: '', route });
  }

  /**
   * `/videos/<uid>/thumbnails/thumbnail.jpg`: made by the origin that recorded it, under its
   * stream's playback policy; for good once the video is closed, briefly while it is recorded.
   */
  private async serveVideoThumbnail(req: IncomingMessage, res: ServerResponse, uid: string, url: string): Promise<void> {
    const stream = `${VIDEOS_FOLDER}/${uid}`;
    const originQuery = thumbnailOriginQuery(stream, url);
    const video = await this.options.videos.resolve(uid);
    const route = videoRoute(video);
    return this.answer(req, res, {
      stream,
      policyStream: video.stream,
      viewer: false,
      file: THUMBNAIL_FILE,
      folder: `${stream}/${THUMBNAIL_FOLDER}`,
      url,
      originQuery,
      mutable: !video.ready,
      madeOnRequest: true,
      route,
    });
  }

  private answer(req: IncomingMessage, res: ServerResponse, target: MediaTarget): void | Promise<void> {
    const { guard, viewers, media } = this.options;
    const { stream, policyStream, file, url, originQuery, route } = target;
    const { origin, referer } = req.headers;
    const { token } = guard.admit(policyStream, route.playback, { token: tokenOf(url), page: origin ?? referer });
    const cors = guard.corsOrigin(route.playback, origin);
    if (cors !== undefined) res.setHeader('access-control-allow-origin', cors);
    if (cors !== '*') res.setHeader('vary', 'origin');
    if (target.viewer) viewers.seen(stream, viewerSessionId(stream, req.socket.remoteAddress ?? '', req.headers['user-agent']));
    return media.serve(
      {
        stream,
        folder: target.folder,
        file,
        originQuery,
        route,
        mutable: target.mutable,
        madeOnRequest: target.madeOnRequest,
        method: req.method === 'HEAD' ? 'HEAD' : 'GET',
        range: req.headers.range,
        ifRange: joined(req.headers['if-range']),
        ifNoneMatch: req.headers['if-none-match'],
        viewerLeft: () => abortWhenViewerLeaves(req, res),
        rewritePlaylist: token === undefined ? undefined : (text) => (file.endsWith('.mpd') ? withManifestPlaybackToken(text, token) : withPlaybackToken(text, token)),
      },
      res,
    );
  }

  private fail(kind: MediaKind, res: ServerResponse, thrown: unknown, offlineAnswer?: 204): void {
    if (thrown instanceof StreamNotLiveError && thrown.offline && offlineAnswer !== undefined && !res.headersSent) {
      res.writeHead(offlineAnswer, { 'cache-control': 'no-cache', 'access-control-allow-origin': '*' }).end();
      this.count(kind, res);
      return;
    }
    const error = toEdgeError(thrown);
    logEdgeError(this.options.log, error, thrown);
    if (res.headersSent) res.destroy();
    else {
      const reply = errorReply(error);
      res.writeHead(reply.statusCode, reply.headers).end(reply.body);
    }
    this.count(kind, res);
  }

  /**
   * Counted once the answer's status is written (a streamed body may still be on its way); a
   * viewer that left while it waited is answered (and counted) 499.
   */
  private count(kind: MediaKind, res: ServerResponse): void {
    this.options.metrics.request(kind, res.statusCode);
  }
}

/**
 * Aborted when the viewer's connection closes before its answer was sent in full, so its wait for
 * an origin fetch is given up at once (and the fetch itself when nobody else waits for it). Made
 * only for a request that waits (a cache hit needs none); one that already left is aborted at once.
 */
function abortWhenViewerLeaves(req: IncomingMessage, res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  const leave = (): void => {
    if (!res.writableFinished) controller.abort();
  };
  if (res.destroyed || req.errored) leave();
  else {
    // The connection closed while this answer was being sent...
    res.once('close', leave);
    // ...or while it waited behind earlier pipelined answers: node destroys those requests with
    // an error and never closes their responses.
    req.once('close', () => {
      if (req.errored) leave();
    });
  }
  return controller.signal;
}

/** A recorded video as a route: closed once ready, its files then immutable. */
function videoRoute(video: ResolvedVideo): ResolvedRoute & { immutable: boolean } {
  return { origin: video.origin, ended: video.ready, endsAtMs: undefined, playback: video.playback, immutable: video.ready };
}

/** The thumbnail's `time` and `height` in canonical form, the only part of the query the origin gets; throws ThumbnailQueryError. */
function thumbnailOriginQuery(stream: string, url: string): string {
  const query = url.indexOf('?');
  const parsed = parseThumbnailQuery(query === -1 ? '' : url.slice(query + 1));
  if (parsed.kind === 'malformed') throw new ThumbnailQueryError(stream, parsed.reason);
  return thumbnailQueryString(parsed.query);
}

/** The `token` query parameter (the first, if repeated). */
function tokenOf(url: string): string | undefined {
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  return new URLSearchParams(url.slice(query + 1)).get('token') ?? undefined;
}

/** A request header as one string (repeated ones joined as HTTP allows). */
function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}
