import { ApiProblem } from '../api-client.js';
import { h, replaceChildren } from '../dom.js';

/** A line that tells the user what went wrong (or right), in words, where they are looking. */
export class Notice {
  readonly element = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite', hidden: true });

  error(error: unknown): void {
    this.show('error', error instanceof ApiProblem ? error.words : 'Something went wrong in this page. Reload it and try again.');
    if (!(error instanceof ApiProblem)) console.error(error);
  }

  /** A problem the page itself words (not an API answer). */
  failure(text: string): void {
    this.show('error', text);
  }

  success(text: string): void {
    this.show('success', text);
  }

  clear(): void {
    this.element.hidden = true;
    replaceChildren(this.element);
  }

  private show(kind: 'error' | 'success', text: string): void {
    this.element.className = `notice ${kind}`;
    this.element.hidden = false;
    replaceChildren(this.element, text);
  }
}

/** Runs a user's action with its button disabled meanwhile, reporting failure on `notice`. */
export async function act(button: HTMLButtonElement | null, notice: Notice, action: () => Promise<void>): Promise<void> {
  if (button) button.disabled = true;
  notice.clear();
  try {
    await action();
  } catch (error) {
    notice.error(error);
  } finally {
    if (button) button.disabled = false;
  }
}
