import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { TableClient } from '@azure/data-tables';
import type { AzuritePorts } from '../azurite/Azurite';

export interface StorageOps {
  /** `PUT` to the blob service: one per photo written (small blobs go up in one request). */
  blobWrites: number;
  blobOps: number;
  /** Every request to the table service; a `$batch` transaction is one request, so it counts once. */
  tableOps: number;
  /** The same by what the request names: a table, or `$batch` (whose table is in its body). */
  tableOpsByTarget: Record<string, number>;
  /**
   * Table entities inserted, updated, merged or deleted: each entity of a `$batch` transaction
   * counts, counted as the app submits it (a transaction the SDK sends again counts once).
   */
  tableEntityWrites: number;
  /** `POST …/messages` to the queue service. */
  queueSends: number;
  /** Sends, receives, deletes and updates of queue messages. */
  queueOps: number;
  /** Requests that broke off or got a 5xx: the SDKs send them again, so they are in the counts above twice. */
  failedRequests: number;
}

export function emptyStorageOps(): StorageOps {
  return {
    blobWrites: 0,
    blobOps: 0,
    tableOps: 0,
    tableOpsByTarget: {},
    tableEntityWrites: 0,
    queueSends: 0,
    queueOps: 0,
    failedRequests: 0,
  };
}

const CHANNEL = 'http.client.request.start';
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'MERGE', 'DELETE']);

/**
 * Counts the app's storage requests where they leave the process: the Azure storage SDKs send
 * through node:http, whose diagnostics channel sees every request, retries included. The port
 * tells the service apart. Work run through `uncounted` (the benchmark's own set-up and checks)
 * is left out, so the figures are what the app costs.
 */
export class StorageOpCounter {
  private ops = emptyStorageOps();
  private readonly quiet = new AsyncLocalStorage<true>();
  private readonly onRequest = (message: unknown): void => {
    if (this.quiet.getStore() === true) return;
    const request = (message as { request: ClientRequest }).request;
    const port = Number(
      String(request.getHeader('host') ?? '')
        .split(':')
        .pop(),
    );
    const path = request.path.split('?')[0] ?? '';
    if (port !== this.ports.blob && port !== this.ports.table && port !== this.ports.queue) return;
    const ops = this.ops;
    request.once('error', () => ops.failedRequests++);
    request.once('response', (response) => {
      if ((response.statusCode ?? 0) >= 500) ops.failedRequests++;
    });
    if (port === this.ports.blob) {
      ops.blobOps++;
      if (request.method === 'PUT') ops.blobWrites++;
    } else if (port === this.ports.table) {
      ops.tableOps++;
      // `/<account>/<Table>(PartitionKey='…',RowKey='…')`, `/<account>/<Table>()`, `/<account>/$batch`.
      const target = /^\/[^/]+\/([^/(]+)/.exec(path)?.[1] ?? path;
      ops.tableOpsByTarget[target] = (ops.tableOpsByTarget[target] ?? 0) + 1;
      // A transaction's entities are counted where the app hands them over (below): its body is sent by now.
      if (target !== '$batch' && target !== 'Tables' && WRITE_METHODS.has(request.method))
        ops.tableEntityWrites++;
    } else if (port === this.ports.queue && /\/messages(\/|$)/.test(path)) {
      ops.queueOps++;
      if (request.method === 'POST') ops.queueSends++;
    }
  };

  private readonly submitTransaction = TableClient.prototype.submitTransaction;

  constructor(private readonly ports: AzuritePorts) {
    subscribe(CHANNEL, this.onRequest);
    const submit = this.submitTransaction;
    const count = (entities: number): void => {
      if (this.quiet.getStore() !== true) this.ops.tableEntityWrites += entities;
    };
    TableClient.prototype.submitTransaction = function (this: TableClient, actions, ...rest) {
      count(actions.length);
      return submit.call(this, actions, ...rest);
    };
  }

  /** The counts since the last call. */
  take(): StorageOps {
    const ops = this.ops;
    this.ops = emptyStorageOps();
    return ops;
  }

  uncounted<T>(work: () => Promise<T>): Promise<T> {
    return this.quiet.run(true, work);
  }

  close(): void {
    unsubscribe(CHANNEL, this.onRequest);
    TableClient.prototype.submitTransaction = this.submitTransaction;
  }
}
