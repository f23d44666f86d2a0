/**
 * The few /v1 calls the restream benchmark makes, as a user would: a stream, its RTMP key, custom
 * restream targets, and the push statuses the origin reports.
 */

export interface RestreamApiClient {
  /** A new stream with `keys.length` custom targets `<receiverAppUrl>/<key>`; returns its id and RTMP stream key. */
  createStream(name: string, receiverAppUrl: string, keys: readonly string[]): Promise<{ id: string; streamKey: string }>;
  /** Every target's reported status (null while no origin reports it). */
  targetStatuses(streamId: string): Promise<TargetStatus[]>;
}

export interface TargetStatus {
  name: string;
  status: { state: string; skipped_keyframes: number; attempts: number; last_error: { message: string } | null } | null;
}

export function restreamApiClient(apiUrl: string, token: string): RestreamApiClient {
  const call = async <T>(method: string, apiPath: string, body?: object): Promise<T> => {
    const response = await fetch(`${apiUrl}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${apiPath}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };

  return {
    createStream: async (name, receiverAppUrl, keys) => {
      const stream = await call<{ id: string }>('POST', '/v1/streams', { name });
      for (const key of keys) {
        await call('POST', `/v1/streams/${stream.id}/restream-targets`, { platform: 'custom', name: key, stream_url: receiverAppUrl, stream_key: key });
      }
      const streamKeys = await call<{ data: Array<{ protocol: string; stream_key: string }> }>('GET', `/v1/streams/${stream.id}/stream-keys`);
      const rtmp = streamKeys.data.find((k) => k.protocol === 'rtmp');
      if (!rtmp) throw new Error(`GET /v1/streams/${stream.id}/stream-keys: no rtmp key`);
      return { id: stream.id, streamKey: rtmp.stream_key };
    },
    targetStatuses: async (streamId) => (await call<{ data: TargetStatus[] }>('GET', `/v1/streams/${streamId}/restream-targets`)).data,
  };
}
