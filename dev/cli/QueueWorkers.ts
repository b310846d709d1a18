import type { LogHandler } from '@azure/functions';
import type { AppConfig } from '../../src/config/AppConfig';
import { createCredential } from '../../src/app/AppCredential';
import { createQueueServiceClient } from '../../src/storage/StorageClients';
import type { RegisteredFunction } from '../host/FunctionRegistry';
import type { QueueSettings } from '../host/HostSettings';
import type { AppSettings } from '../host/LocalEnvironment';
import type { QueueRunner } from '../host/QueueRunner';
import { queueRunnersFor } from '../host/queueRunnersFor';

export interface QueueWorkersOptions {
  config: AppConfig;
  /** For the triggers' `%NAME%` queue names, as the Functions host resolves them. */
  appSettings: AppSettings;
  settings: QueueSettings;
  logHandler: (functionName: string) => LogHandler;
}

/**
 * Every queue trigger the app registers, run in this process as the Functions host runs them
 * (batches, retries, poison queues): the CLI needs the workers of a host, not its HTTP side.
 */
export class QueueWorkers {
  private constructor(private readonly runners: QueueRunner[]) {}

  static async start(
    functions: readonly RegisteredFunction[],
    options: QueueWorkersOptions,
  ): Promise<QueueWorkers> {
    const runners = await queueRunnersFor(functions, {
      service: createQueueServiceClient(options.config, createCredential(options.config)),
      appSettings: options.appSettings,
      settings: options.settings,
      logHandler: options.logHandler,
    });
    for (const runner of runners) runner.start();
    return new QueueWorkers(runners);
  }

  /** Lets messages in flight finish; takes no new ones. */
  async stop(): Promise<void> {
    await Promise.all(this.runners.map((runner) => runner.stop()));
  }
}
