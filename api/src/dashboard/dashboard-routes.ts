import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';
import { contentSecurityPolicy } from './content-security-policy.js';

export interface DashboardRoutesOptions {
  /** DASHBOARD_PATH: the built dashboard (`npm run build` writes dist/dashboard). */
  root: string;
  /** PUBLIC_PLAYBACK_URL: the page's player fetches playlists and segments from there. */
  publicPlaybackUrl: string;
  /** INGEST_WEBSOCKET_URL: the go-live section's WebSocket connects there. */
  ingestWebSocketUrl: string;
}

/** Headers of every dashboard file: a strict policy, and revalidation (the files are not fingerprinted). */
function dashboardHeaders(publicPlaybackUrl: string, ingestWebSocketUrl: string): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(new URL(publicPlaybackUrl).origin, new URL(ingestWebSocketUrl).origin),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
  };
}

/**
 * The streamer's dashboard (web/), served as static files under `/` of the public listener:
 * `/` is the page, `/app/*.js` its scripts, `/dashboard.css` its style. Everything it does goes
 * through /v1 with the token the user signs in with, so serving it grants nothing.
 */
export const dashboardRoutes: FastifyPluginAsync<DashboardRoutesOptions> = async (app, { root, publicPlaybackUrl, ingestWebSocketUrl }) => {
  if (!existsSync(path.join(root, 'index.html'))) {
    app.log.warn({ root }, 'no dashboard at DASHBOARD_PATH (run npm run build); / answers 404');
    return;
  }
  const headers = dashboardHeaders(publicPlaybackUrl, ingestWebSocketUrl);
  await app.register(fastifyStatic, {
    root,
    // One route per file that exists now: every other path stays the API's JSON 404.
    wildcard: false,
    index: 'index.html',
    decorateReply: false,
    cacheControl: false,
    setHeaders: (response) => {
      for (const [name, value] of Object.entries(headers)) response.setHeader(name, value);
    },
  });
};
