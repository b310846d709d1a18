import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import type { FetchOptions } from '@microsoft/microsoft-graph-client';
import { Agent } from 'undici';
import { registeredFunction } from '../../dev/host/FunctionRegistry';
import { LocalEnvironment } from '../../dev/host/LocalEnvironment';
import { LocalHost } from '../../dev/host/LocalHost';
import { createServices, useServices } from '../../src/app/AppServices';
import { loadConfig } from '../../src/config/AppConfig';
import type { DemoTenant } from '../../dev/demo/DemoTenant';
import { DEMO_ONLY_ENV } from './demoOnlyEnv';
import { loadAppFunctions } from './FunctionsCoreStandIn';

const projectRoot = resolve(__dirname, '..', '..');

/**
 * `npm start`'s stack in this process: Azurite in memory and the demo tenant (LocalEnvironment),
 * then the app's functions served by the local host on a free port, queues polled quickly. The
 * test file stands in for the worker module (see FunctionsCoreStandIn) so the registrations come
 * from the app's own `app.*` calls, as in Azure.
 */
export class InProcessHost {
  private constructor(
    /** Every line the host and the functions wrote. */
    readonly log: string[],
    readonly origin: string,
    readonly demo: DemoTenant,
    private readonly local: LocalEnvironment,
    private readonly host: LocalHost,
    private readonly agent: Agent,
  ) {}

  static async start(options: { users: number }): Promise<InProcessHost> {
    const functions = loadAppFunctions().map(({ metadata, handler }) =>
      registeredFunction(metadata, handler as (...args: unknown[]) => unknown),
    );
    const log: string[] = [];
    const write = (line: string): void => void log.push(line);
    const overrides: Record<string, string> = {
      DEMO_USERS: String(options.users),
      DEMO_CHANGE_RATE: '0',
      ...DEMO_ONLY_ENV,
    };
    const saved = Object.fromEntries(Object.keys(overrides).map((key) => [key, process.env[key]]));
    Object.assign(process.env, overrides);
    let local: LocalEnvironment;
    try {
      local = await LocalEnvironment.start({ projectRoot, write, azuriteWellKnownPorts: false });
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
    const demo = local.demo;
    if (demo === undefined) throw new Error('the local environment started no demo tenant');
    // Jest's VM context does not see the global dispatcher that trusts the simulator: pass one.
    const agent = new Agent({ connect: { ca: [...rootCertificates, demo.sim.caCertPem] } });
    try {
      const config = loadConfig(local.env);
      useServices(
        createServices({ env: local.env, graphFetchOptions: { dispatcher: agent } as FetchOptions }),
      );
      const host = await LocalHost.start({
        projectRoot,
        config,
        appSettings: {
          ...local.env,
          PHOTO_QUEUE: config.photoQueue,
          PHOTO_SYNC_SCHEDULE: config.syncSchedule,
        },
        port: 0,
        write,
        functions,
        timers: false,
        queueSettings: {
          batchSize: 16,
          newBatchThreshold: 8,
          maxDequeueCount: 5,
          visibilityTimeoutMs: 0,
          maxPollingIntervalMs: 200,
        },
      });
      return new InProcessHost(log, `http://127.0.0.1:${new URL(host.url).port}`, demo, local, host, agent);
    } catch (error) {
      await local.stop();
      await agent.close();
      throw error;
    }
  }

  /** The app's API, as a script would call it. */
  async api<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
    const method = init.method ?? 'GET';
    const response = await fetch(`${this.origin}/api/${path}`, {
      method,
      // Every change is declared JSON, an empty one too, as the API requires.
      headers: method === 'GET' ? {} : { 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} /api/${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  }

  async stop(): Promise<void> {
    await this.host.stop();
    useServices(undefined);
    await this.local.stop();
    await this.agent.close();
  }
}
