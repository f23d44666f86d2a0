/**
 * Building the page from elements, never from HTML strings: names, errors and URLs from the API
 * are text nodes, so nothing a user typed can become markup.
 */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | EventListener | undefined>;

/** `h('button', {class: 'primary', onclick: save}, 'Save')`; boolean attributes are set when true. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces everything inside `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

/** A `<dl>` of label/value pairs. */
export function definitionList(pairs: [string, Child][], attributes: Attributes = {}): HTMLDListElement {
  return h('dl', attributes, ...pairs.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value)]));
}
