/**
 * What an SRT caller's streamid asks for. Two forms name the stream key the API hands out:
 * - `publish/<stream id>/<secret>`, the key itself;
 * - SRT's access-control form `#!::r=publish/<stream id>/<secret>,m=publish` (keys in any order,
 *   others ignored). Its mode defaults to `request` (play), which this listener does not serve.
 */
export type SrtStreamIdReading = { kind: 'publish'; streamKey: string } | { kind: 'refused'; why: 'malformed' | 'not_publish' };

const ACCESS_CONTROL_PREFIX = '#!::';

export function readSrtStreamId(streamId: string): SrtStreamIdReading {
  if (!streamId.startsWith(ACCESS_CONTROL_PREFIX)) {
    return streamId.startsWith('publish/') ? { kind: 'publish', streamKey: streamId } : { kind: 'refused', why: 'malformed' };
  }
  const fields = new Map<string, string>();
  for (const pair of streamId.slice(ACCESS_CONTROL_PREFIX.length).split(',')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) return { kind: 'refused', why: 'malformed' };
    fields.set(pair.slice(0, equals), pair.slice(equals + 1));
  }
  if ((fields.get('m') ?? 'request') !== 'publish') return { kind: 'refused', why: 'not_publish' };
  const resource = fields.get('r');
  return resource?.startsWith('publish/') ? { kind: 'publish', streamKey: resource } : { kind: 'refused', why: 'malformed' };
}
