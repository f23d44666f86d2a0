import { h, replaceChildren } from '../dom.js';

/** Samples kept: five minutes at one sample every two seconds. */
const MAX_SAMPLES = 150;
const WIDTH = 600;
const HEIGHT = 140;

/** Live viewers over the last minutes, drawn on a canvas as samples arrive. */
export class ViewerGraph {
  private readonly samples: number[] = [];
  private readonly canvas = h('canvas', { width: WIDTH, height: HEIGHT, class: 'graph', 'aria-label': 'Live viewers over the last five minutes' });
  private readonly now = h('strong', { 'data-testid': 'live-viewers' }, '–');
  private readonly totals = h('span', { class: 'hint' });
  readonly element = h(
    'div',
    { class: 'viewer-graph' },
    h('p', {}, this.now, ' watching now ', this.totals),
    this.canvas,
  );

  add(liveViewers: number, views: number): void {
    this.samples.push(liveViewers);
    if (this.samples.length > MAX_SAMPLES) this.samples.shift();
    replaceChildren(this.now, String(liveViewers));
    replaceChildren(this.totals, `(${views} ${views === 1 ? 'view' : 'views'} since the stream was created)`);
    this.draw();
  }

  private draw(): void {
    const context = this.canvas.getContext('2d');
    if (!context) return;
    const style = getComputedStyle(this.canvas);
    const line = style.getPropertyValue('--graph-line').trim() || '#2f6fde';
    const grid = style.getPropertyValue('--graph-grid').trim() || '#ccc';
    const top = Math.max(1, ...this.samples);
    const x = (index: number) => (WIDTH * index) / (MAX_SAMPLES - 1);
    const y = (value: number) => HEIGHT - 16 - ((HEIGHT - 32) * value) / top;
    context.clearRect(0, 0, WIDTH, HEIGHT);
    context.strokeStyle = grid;
    context.fillStyle = grid;
    context.font = '12px system-ui, sans-serif';
    for (const value of [0, top]) {
      context.beginPath();
      context.moveTo(0, y(value));
      context.lineTo(WIDTH, y(value));
      context.stroke();
      context.fillText(String(value), 4, y(value) - 3);
    }
    context.strokeStyle = line;
    context.lineWidth = 2;
    context.beginPath();
    const offset = MAX_SAMPLES - this.samples.length;
    this.samples.forEach((value, index) => {
      if (index === 0) context.moveTo(x(offset + index), y(value));
      else context.lineTo(x(offset + index), y(value));
    });
    context.stroke();
  }
}
