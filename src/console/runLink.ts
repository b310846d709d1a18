import { h } from './dom.js';

/** `#run/<id>`: the run's own view, so the back button and a shared link both work. */
export const RUN_HASH = /^#run\/(.+)$/;

/** A link to a run's own view, named by `children` (the run id where none is given). */
export function runLink(runId: string, ...children: Array<Node | string>): HTMLAnchorElement {
  return h('a', { href: `#run/${encodeURIComponent(runId)}` }, children.length === 0 ? runId : children);
}
