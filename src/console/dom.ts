/** Attributes and properties an element is made with; `on*` functions become event listeners. */
type Props = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;
type Child = Node | string | number | null | undefined | false;

/**
 * Builds an element from text and nodes only — never from HTML strings, so nothing a user's
 * display name or an error message contains can become markup or script.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Array<Child | Child[]>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') element.addEventListener(key.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(key, '');
    else element.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no #${id}`);
  return element as T;
}

/** Replaces what an element shows. */
export function show(element: HTMLElement, ...children: Array<Child | Child[]>): void {
  element.replaceChildren(
    ...children
      .flat()
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (typeof c === 'number' ? String(c) : c)),
  );
}

/** A time as the admin's browser shows it, with the ISO value for screen readers and tooltips. */
export function time(iso: string | null | undefined): HTMLElement | string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  return h(
    'time',
    { datetime: iso, title: iso },
    date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
  );
}

/** A term and its value, for a `dl` of facts. */
export function fact(term: string, value: Node | string | number): Node[] {
  return [h('dt', {}, term), h('dd', {}, value)];
}
