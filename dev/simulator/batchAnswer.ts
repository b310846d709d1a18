import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { mapWithConcurrency } from '../../src/sync/mapWithConcurrency';
import { graphError, jsonAnswer, type GraphAnswer } from './GraphAnswer';
import { pathSegments, type GraphCall } from './GraphCall';
import { readJson } from './readJson';
import type { SimulatorState } from './SimulatorState';

const BATCH_LIMIT = 20;
/** Graph runs at most four items of a batch at a time, which matters when items stall. */
const BATCH_PARALLELISM = 4;

const BatchBody = z.object({
  requests: z.array(z.object({ id: z.string().min(1), method: z.string().min(1), url: z.string() })),
});

/** `POST /$batch`: each item answered by `route`, as Graph does, with its limits and quirks. */
export async function batchAnswer(
  sim: Pick<SimulatorState, 'origin' | 'counters' | 'deadlines' | 'sleep'>,
  req: IncomingMessage,
  arrivedAt: number,
  route: (call: GraphCall) => GraphAnswer,
): Promise<GraphAnswer> {
  sim.counters.batchCalls++;
  const parsed = BatchBody.safeParse(await readJson(req));
  if (!parsed.success) return graphError(400, 'BadRequest', 'Invalid batch payload format.');
  const { requests } = parsed.data;
  if (requests.length === 0)
    return graphError(400, 'BadRequest', 'Invalid batch payload format: no requests.');
  if (requests.length > BATCH_LIMIT)
    return graphError(
      400,
      'BadRequest',
      `Number of batch requests ${requests.length} exceeds the limit of ${BATCH_LIMIT}.`,
    );
  if (new Set(requests.map((r) => r.id)).size !== requests.length)
    return graphError(400, 'BadRequest', 'Batch request ids must be unique.');
  sim.counters.batchItems += requests.length;

  const items = await mapWithConcurrency(requests, BATCH_PARALLELISM, async (item) => {
    const answer = itemAnswer(sim.origin, item.method.toUpperCase(), item.url, arrivedAt, route);
    if (answer.stallMs) await sim.sleep(answer.stallMs);
    return { id: item.id, answer };
  });
  const responses = items.map(({ id, answer }) => {
    sim.deadlines.commit(answer);
    return {
      id,
      status: answer.status,
      headers: answer.headers,
      body: answer.bytes ? answer.bytes.toString('base64') : answer.json,
    };
  });
  return jsonAnswer(200, { responses });
}

function itemAnswer(
  origin: string,
  method: string,
  url: string,
  arrivedAt: number,
  route: (call: GraphCall) => GraphAnswer,
): GraphAnswer {
  const relative = url.startsWith('/') ? url : `/${url}`;
  // Graph resolves item URLs against the batch's version; repeating it is an error per item.
  if (/^\/(v1\.0|beta)(\/|$)/i.test(relative))
    return graphError(
      400,
      'BadRequest',
      `Invalid request URL '${url}': item URLs are relative to the version.`,
    );
  const parsed = new URL(relative, origin);
  const segments = pathSegments(parsed.pathname);
  if (segments === undefined) return graphError(400, 'BadRequest', `Malformed request URL '${url}'.`);
  return route({ method, segments, query: parsed.searchParams, inBatch: true, arrivedAt });
}
