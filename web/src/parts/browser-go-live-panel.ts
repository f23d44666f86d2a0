import type { ApiClient } from '../api-client.js';
import type { IngestServer, StreamKey } from '../api-types.js';
import { describeIngestClose, pickRecorderType, webSocketIngestUrl } from '../browser-go-live.js';
import { h, replaceChildren } from '../dom.js';
import { Notice } from './notice.js';

/** MediaRecorder hands over a chunk this often: short enough that the stream starts soon. */
const CHUNK_MS = 500;
/**
 * Media the socket has not sent yet (the browser's own buffer). Past it the connection cannot
 * carry the video, and the broadcast stops rather than fall ever further behind or hold the
 * page's memory: the origin would drop a publisher this late anyway.
 */
const MAX_UNSENT_BYTES = 8 * 1024 * 1024;
/** What MediaRecorder is asked for: a 720p-class picture, as OBS's defaults send. */
const VIDEO_BITS_PER_SECOND = 2_500_000;
const AUDIO_BITS_PER_SECOND = 128_000;
/** Keyframes every 2 s, so H.264 the origin copies can be cut into segments of its target length. */
const KEYFRAME_INTERVAL_MS = 2000;

type Source = 'camera' | 'screen';
type State = 'idle' | 'connecting' | 'sending' | 'live' | 'stopped' | 'error';

interface Session {
  media: MediaStream;
  socket: WebSocket;
  recorder: MediaRecorder | undefined;
  opened: boolean;
  ended: boolean;
}

/**
 * "Go live from this browser": the camera or a shared screen, previewed here, recorded as WebM by
 * MediaRecorder and sent in chunks over a WebSocket to the stream's WebSocket ingest (the URL from
 * GET /v1/ingests?protocol=websocket, the stream's websocket key). Says where it is (connecting,
 * sending, live) and, when the broadcast ends without Stop, why, in words.
 */
export class BrowserGoLivePanel {
  private readonly source = h(
    'select',
    { id: 'go-live-source' },
    h('option', { value: 'camera' }, 'Camera and microphone'),
    h('option', { value: 'screen' }, 'A screen or window (with its sound when shared)'),
  );
  private readonly preview = h('video', { muted: true, playsinline: true, 'data-testid': 'go-live-preview' });
  private readonly state = h('p', { class: 'hint', 'data-testid': 'go-live-state', 'data-state': 'idle' }, 'Not broadcasting from this browser.');
  private readonly startButton = h('button', { type: 'button', 'data-testid': 'go-live-start' }, 'Start');
  private readonly stopButton = h('button', { type: 'button', class: 'secondary', 'data-testid': 'go-live-stop', disabled: true }, 'Stop');
  private readonly notice = new Notice();
  readonly element = h(
    'section',
    { class: 'card', 'data-testid': 'browser-go-live' },
    h('h2', {}, 'Go live from this browser'),
    h('p', { class: 'hint' }, 'No software needed: this page sends your camera or screen to the platform.'),
    h('div', { class: 'buttons' }, h('label', { for: 'go-live-source' }, 'Source '), this.source, this.startButton, this.stopButton),
    h('div', { class: 'player' }, this.preview),
    this.state,
    this.notice.element,
  );
  private session: Session | undefined;
  private disposed = false;

  constructor(
    private readonly api: ApiClient,
    private readonly streamId: string,
  ) {
    this.preview.muted = true;
    this.startButton.addEventListener('click', () => void this.start());
    this.stopButton.addEventListener('click', () => this.stop());
  }

  /** Called with each lifecycle reading: the broadcast is live once the platform says so. */
  update(live: boolean): void {
    if (live && this.current() === 'sending') this.say('live', 'Live: this browser is broadcasting. Stop ends the broadcast.');
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }

  private current(): State {
    return this.state.dataset.state as State;
  }

  private say(state: State, text: string): void {
    this.state.dataset.state = state;
    replaceChildren(this.state, text);
    const busy = state === 'connecting' || state === 'sending' || state === 'live';
    this.startButton.disabled = busy;
    this.source.disabled = busy;
    this.stopButton.disabled = !busy;
  }

  private async start(): Promise<void> {
    this.notice.clear();
    const mimeType = pickRecorderType((type) => typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported(type));
    if (!mimeType) return this.fail('This browser cannot record WebM video. Use a current Chrome, Edge or Firefox, or OBS.');
    // Browsers offer the camera and screen only to https:// pages and localhost.
    if (!window.isSecureContext || !navigator.mediaDevices) {
      return this.fail('Browsers give the camera and screen only to https:// pages or localhost: open this dashboard at such an address.');
    }
    this.say('connecting', 'Getting ready…');
    let url: string;
    try {
      const [{ data: keys }, { ingests }] = await Promise.all([
        this.api.get<{ data: StreamKey[] }>(`/streams/${this.streamId}/stream-keys`),
        this.api.get<{ ingests: IngestServer[] }>('/ingests?protocol=websocket'),
      ]);
      const key = keys.find((entry) => entry.protocol === 'websocket')?.stream_key;
      const ingest = ingests[0];
      if (!key || !ingest) return this.fail('No ingest server takes browser broadcasts right now. Try again in a moment.');
      url = webSocketIngestUrl(ingest.url_template, key);
    } catch (error) {
      this.say('error', 'Not broadcasting.');
      return this.notice.error(error);
    }
    let media: MediaStream;
    try {
      media = await capture(this.source.value as Source);
    } catch (error) {
      return this.fail(captureWords(error));
    }
    if (this.disposed || this.current() !== 'connecting') return stopTracks(media);
    this.preview.srcObject = media;
    void this.preview.play().catch(() => undefined);
    this.say('connecting', 'Connecting to the ingest server…');
    const session: Session = { media, socket: new WebSocket(url), recorder: undefined, opened: false, ended: false };
    this.session = session;
    // Sharing stopped from the browser's own bar ends the broadcast, as Stop does.
    for (const track of media.getTracks()) track.addEventListener('ended', () => this.session === session && this.stop());
    session.socket.addEventListener('open', () => {
      session.opened = true;
      const recorder = new MediaRecorder(media, {
        mimeType,
        videoBitsPerSecond: VIDEO_BITS_PER_SECOND,
        audioBitsPerSecond: AUDIO_BITS_PER_SECOND,
        videoKeyFrameIntervalDuration: KEYFRAME_INTERVAL_MS,
      } as MediaRecorderOptions);
      session.recorder = recorder;
      recorder.addEventListener('dataavailable', (event) => this.send(session, event.data));
      recorder.start(CHUNK_MS);
      this.say('sending', `Sending ${codecName(mimeType)}; waiting for the stream to go live…`);
    });
    session.socket.addEventListener('close', (event) => {
      if (session.ended) return;
      this.end(session);
      this.fail(describeIngestClose(event.code, event.reason, session.opened));
    });
  }

  private send(session: Session, chunk: Blob): void {
    if (session.ended || session.socket.readyState !== WebSocket.OPEN || chunk.size === 0) return;
    if (session.socket.bufferedAmount > MAX_UNSENT_BYTES) {
      this.end(session);
      session.socket.close(1000, 'too slow');
      return this.fail('Your connection cannot carry this video fast enough, so the broadcast stopped. Share a smaller picture or move closer to your Wi-Fi, then start again.');
    }
    session.socket.send(chunk);
  }

  private stop(): void {
    const session = this.session;
    if (!session || session.ended) return;
    this.end(session);
    session.socket.close(1000, 'stopped by the streamer');
    this.say('stopped', 'Stopped. The stream ends as an encoder disconnecting would.');
  }

  /** Lets go of the camera or screen and the recorder; the socket is closed by the caller. */
  private end(session: Session): void {
    session.ended = true;
    if (session.recorder?.state === 'recording') session.recorder.stop();
    stopTracks(session.media);
    this.preview.srcObject = null;
    if (this.session === session) this.session = undefined;
  }

  private fail(words: string): void {
    this.say('error', words);
  }
}

/** The camera with its microphone, or a shared screen with its sound (else the microphone's, when allowed). */
async function capture(source: Source): Promise<MediaStream> {
  const devices = navigator.mediaDevices;
  if (source === 'camera') {
    return devices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 30 } }, audio: true });
  }
  const screen = await devices.getDisplayMedia({ video: { frameRate: { ideal: 30 } }, audio: true });
  if (screen.getAudioTracks().length === 0) {
    const microphone = await devices.getUserMedia({ audio: true }).catch(() => undefined);
    for (const track of microphone?.getAudioTracks() ?? []) screen.addTrack(track);
  }
  return screen;
}

function stopTracks(media: MediaStream): void {
  for (const track of media.getTracks()) track.stop();
}

function captureWords(error: unknown): string {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'NotAllowedError') return 'The browser was not allowed to use the camera or screen. Allow it (the icon in the address bar) and start again.';
  if (name === 'NotFoundError') return 'No camera or microphone was found. Connect one, or share a screen instead.';
  if (name === 'NotReadableError') return 'The camera is in use by another program. Close it and start again.';
  return 'The camera or screen could not be opened. Start again, or choose the other source.';
}

function codecName(mimeType: string): string {
  if (mimeType.includes('h264')) return 'H.264 video';
  if (mimeType.includes('vp9')) return 'VP9 video';
  if (mimeType.includes('vp8')) return 'VP8 video';
  return 'WebM video';
}
