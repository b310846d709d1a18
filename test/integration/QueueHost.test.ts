import { QueueClient } from '@azure/storage-queue';
import { Azurite } from '../../dev/azurite/Azurite';
import { QueueRunner } from '../../dev/host/QueueRunner';

/**
 * The local host polls a queue as the Functions host does (host.json `batchSize`,
 * `newBatchThreshold`): whole batches while in-flight work is at or below the threshold, so at
 * most batchSize + newBatchThreshold messages run at once — the concurrency the benchmark's
 * "Graph concurrency" and its naive yardstick both use.
 */

let azurite: Azurite;
let queue: QueueClient;

beforeAll(async () => {
  azurite = await Azurite.start();
  queue = new QueueClient(azurite.connectionString, 'queue-host-test');
  await queue.create();
});

afterAll(async () => {
  await azurite.stop();
});

test('runs up to batchSize + newBatchThreshold messages at once, and takes every message', async () => {
  const messages = 60;
  await Promise.all(
    Array.from({ length: messages }, (_, n) =>
      queue.sendMessage(Buffer.from(JSON.stringify({ n })).toString('base64')),
    ),
  );
  let running = 0;
  let most = 0;
  const seen = new Set<number>();
  let allSeen: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allSeen = resolve));
  const runner = new QueueRunner({
    functionName: 'test',
    queue,
    poison: new QueueClient(azurite.connectionString, 'queue-host-test-poison'),
    settings: {
      batchSize: 6,
      newBatchThreshold: 3,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 200,
    },
    logHandler: () => undefined,
    handler: async (message) => {
      running++;
      most = Math.max(most, running);
      // Of different lengths, so some finish while others run: the runner, if it could, would take more than the limit meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 20 + ((message as { n: number }).n % 4) * 40));
      running--;
      seen.add((message as { n: number }).n);
      if (seen.size === messages) allSeen();
    },
  });

  runner.start();
  await done;
  await runner.stop();

  expect(seen.size).toBe(messages);
  expect(most).toBeGreaterThan(6);
  expect(most).toBeLessThanOrEqual(6 + 3);
});

test('a handler that runs longer than the lease keeps its message: delivered once, then deleted', async () => {
  const longQueue = new QueueClient(azurite.connectionString, 'queue-host-lease-test');
  await longQueue.create();
  await longQueue.sendMessage(Buffer.from(JSON.stringify({ n: 1 })).toString('base64'));
  const deliveries: number[] = [];
  let finished: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (finished = resolve));
  const runner = new QueueRunner({
    functionName: 'test',
    queue: longQueue,
    poison: new QueueClient(azurite.connectionString, 'queue-host-lease-test-poison'),
    settings: {
      batchSize: 4,
      newBatchThreshold: 2,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 0,
      maxPollingIntervalMs: 200,
    },
    logHandler: () => undefined,
    leaseSeconds: 2,
    handler: async (_message, context) => {
      deliveries.push(Number(context.triggerMetadata?.dequeueCount));
      // Three leases long: without renewal the queue would hand the message out again meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      finished();
    },
  });

  runner.start();
  await done;
  await runner.stop();

  expect(deliveries).toEqual([1]);
  expect((await longQueue.getProperties()).approximateMessagesCount).toBe(0);
});
