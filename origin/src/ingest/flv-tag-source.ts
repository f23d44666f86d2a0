/** One RTMP media message as an FLV tag: what the ingest hands to the packager. */
export interface FlvTag {
  /** 8 audio, 9 video, 18 script data */
  type: number;
  /** RTMP timestamp (decode time) in milliseconds */
  timestampMs: number;
  /** FLV tag body; only valid during the call, copy what you keep */
  body: Uint8Array;
}

export type FlvTagSink = (tag: FlvTag) => void;

/** A publisher connection as the rest of the origin sees it, whatever the ingest protocol. */
export interface IncomingPublish {
  readonly id: string;
  readonly app: string;
  /** The name the publisher asked for (a stream name or, later, a stream key): treat as secret. */
  readonly requestedName: string;
  readonly remoteAddress: string;
  /** Tags received from now on go to `sink`. */
  setSink(sink: FlvTagSink): void;
  onClose(listener: () => void): void;
  disconnect(): void;
}
