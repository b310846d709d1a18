import type { Client, GraphRequest } from '@microsoft/microsoft-graph-client';

interface Page {
  value: unknown[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** One page of a Graph collection; a delta round's last page carries the link for the next round. */
export interface GraphPage {
  value: unknown[];
  deltaLink?: string;
}

/**
 * Pages of a Graph collection one at a time, following `@odata.nextLink` as Graph gives it, so the
 * caller can write each page out before the next is fetched: memory stays one page deep. (The
 * SDK's PageIterator takes a synchronous callback, which cannot await the writes.)
 */
export async function* graphPages(
  client: Client,
  first: GraphRequest,
  timeoutMs: number,
): AsyncGenerator<GraphPage> {
  let page = (await first.option('signal', AbortSignal.timeout(timeoutMs)).get()) as Page;
  for (;;) {
    const next = page['@odata.nextLink'];
    yield { value: page.value, ...(next === undefined ? { deltaLink: page['@odata.deltaLink'] } : {}) };
    if (next === undefined) return;
    page = (await client.api(next).option('signal', AbortSignal.timeout(timeoutMs)).get()) as Page;
  }
}
