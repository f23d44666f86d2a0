/**
 * Every route of the API's internal listener, as fastify declares it (`:param`); the API registers
 * these and the client fills them, so neither side spells a path of its own.
 */
export const INTERNAL_PATHS = {
  authorize: '/authorize',
  ingest: '/ingests/:origin_id',
  ingestPublish: '/ingests/:origin_id/publishes/:session_id',
  streams: '/streams',
  stream: '/streams/:name',
  streamViews: '/streams/:name/views',
  views: '/views',
  restream: '/internal/streams/:id/restream',
  restreamStatus: '/internal/streams/:id/restream-status',
  fallback: '/internal/streams/:id/fallback',
  video: '/internal/videos/:uid',
  pullClaim: '/internal/pulls/claim',
} as const;

export type InternalPath = (typeof INTERNAL_PATHS)[keyof typeof INTERNAL_PATHS];

/** The path's `:name` parameters, e.g. `'origin_id' | 'session_id'`. */
type ParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamsOf<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

/** The path with each parameter filled in, percent-encoded. */
export function fillPath<P extends InternalPath>(path: P, params: Record<ParamsOf<P>, string>): string {
  return path.replace(/:([a-z_]+)/g, (_match, name: string) => encodeURIComponent((params as Record<string, string>)[name] ?? ''));
}
