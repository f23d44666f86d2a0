import { h } from '../dom.js';

/** A "Copy" button that puts `text()` on the clipboard and says so for a moment. */
export function copyButton(label: string, text: () => string): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'secondary' }, label);
  button.addEventListener('click', () => {
    navigator.clipboard.writeText(text()).then(
      () => flash(button, 'Copied', label),
      () => flash(button, 'Copy failed: select the text instead', label),
    );
  });
  return button;
}

function flash(button: HTMLButtonElement, text: string, label: string): void {
  button.textContent = text;
  window.setTimeout(() => {
    button.textContent = label;
  }, 1500);
}
