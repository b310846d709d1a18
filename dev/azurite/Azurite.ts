import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNodeChild } from '../process/spawnNodeChild';

/** Azurite's well-known development account (public, documented; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuritePorts {
  blob: number;
  queue: number;
  table: number;
}

export interface AzuriteOptions {
  /** Keep data in memory (default). With false, data lives in `location` and survives a restart. */
  inMemory?: boolean;
  location?: string;
  ports?: AzuritePorts;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export function azuriteConnectionString(ports: AzuritePorts): string {
  const base = `http://127.0.0.1`;
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${base}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${base}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=${base}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

/**
 * Azurite from node_modules, as a child process that exits with its parent, on free loopback
 * ports. Recent storage SDKs send API versions newer than Azurite knows, hence
 * `--skipApiVersionCheck`.
 */
export class Azurite {
  private constructor(
    private process: ChildProcess | undefined,
    readonly ports: AzuritePorts,
    readonly connectionString: string,
    private readonly options: Required<Pick<AzuriteOptions, 'inMemory' | 'location'>>,
  ) {}

  static async start(options: AzuriteOptions = {}): Promise<Azurite> {
    const ports = options.ports ?? {
      blob: await freePort(),
      queue: await freePort(),
      table: await freePort(),
    };
    const inMemory = options.inMemory ?? true;
    const settled = {
      inMemory,
      // In memory Azurite writes nothing, so it gets no folder: an empty one would be left behind.
      location: options.location ?? (inMemory ? '' : mkdtempSync(join(tmpdir(), 'azurite-'))),
    };
    const azurite = new Azurite(undefined, ports, azuriteConnectionString(ports), settled);
    await azurite.launch();
    return azurite;
  }

  private async launch(): Promise<void> {
    const args = [
      '--silent',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--loose',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(this.ports.blob),
      '--queueHost',
      '127.0.0.1',
      '--queuePort',
      String(this.ports.queue),
      '--tableHost',
      '127.0.0.1',
      '--tablePort',
      String(this.ports.table),
      ...(this.options.inMemory ? ['--inMemoryPersistence'] : ['--location', this.options.location]),
    ];
    const child = spawnNodeChild(require.resolve('azurite/dist/src/azurite.js'), args, {
      cwd: this.options.inMemory ? tmpdir() : this.options.location,
    });
    this.process = child;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const listening = new Set<string>();
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        for (const service of ['Blob', 'Queue', 'Table'])
          if (output.includes(`Azurite ${service} service is successfully listening`)) listening.add(service);
        if (listening.size === 3) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('exit', (code) =>
        reject(new Error(`Azurite exited (${code}) before it was ready:\n${output}`)),
      );
    });
  }

  /** Stops the process; with `inMemory: false` a later `restart()` finds the data again. */
  async stop(): Promise<void> {
    const child = this.process;
    this.process = undefined;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
    });
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}
