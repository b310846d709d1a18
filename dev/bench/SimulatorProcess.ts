import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnNodeChild } from '../process/spawnNodeChild';
import { createInterface } from 'node:readline';
import { createSecureContext } from 'node:tls';
import { Agent, fetch } from 'undici';
import type { FaultPatch } from '../simulator/FaultPatch';
import type { SimulatorCounters } from '../simulator/SimulatorCounters';
import type { MutateResult, Photo } from '../simulator/SimulatedTenant';

export interface SimulatorProcessOptions {
  users: number;
  latencyMs: number;
  throttleRps?: number;
  /** A scope group of the first N users. */
  scopeMembers?: number;
}

interface Connection {
  baseUrl: string;
  origin: string;
  token: string;
  caCertPem: string;
  /** The id of the `scopeMembers` group, when one was asked for. */
  scopeGroupId?: string;
}

/**
 * The Graph simulator in a process of its own (dev/simulator/serve.js), so the fake Graph's CPU
 * and memory do not count as the app's. Driven through its `/_sim/` control API.
 */
export class SimulatorProcess {
  /**
   * Trusts the simulator's certificate alone, through one secure context built once: given a CA
   * list instead, every new TLS connection parses all the public roots again — a cost of the
   * benchmark's set-up, not of the app, that would show up as the app's CPU.
   */
  readonly dispatcher: Agent;

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: Connection,
  ) {
    this.dispatcher = new Agent({
      connect: { secureContext: createSecureContext({ ca: connection.caCertPem }) },
    });
  }

  static async start(options: SimulatorProcessOptions): Promise<SimulatorProcess> {
    const args = ['--users', String(options.users), '--latency-ms', String(options.latencyMs)];
    if (options.throttleRps !== undefined) args.push('--throttle-rps', String(options.throttleRps));
    if (options.scopeMembers !== undefined) args.push('--scope-members', String(options.scopeMembers));
    const child = spawnNodeChild(join(__dirname, '..', 'simulator', 'serve.js'), args);
    let errors = '';
    child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const firstLine = await new Promise<string>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once('line', (line) => {
        lines.close();
        child.stdout?.resume();
        resolve(line);
      });
      child.once('exit', (code) =>
        reject(new Error(`the Graph simulator exited (${code}) before it was ready: ${errors}`)),
      );
    });
    return new SimulatorProcess(child, JSON.parse(firstLine) as Connection);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  counters(): Promise<SimulatorCounters> {
    return this.control('GET', 'counters') as Promise<SimulatorCounters>;
  }

  async resetCounters(): Promise<void> {
    await this.control('POST', 'counters/reset');
  }

  /** Uploads new photos for `changed` of the users with one; some with identical bytes (new ETag only). */
  mutate(changed: number): Promise<MutateResult> {
    return this.control('POST', 'mutate', { changed }) as Promise<MutateResult>;
  }

  /** Changes the faults, by name (`POST /_sim/faults`). */
  async setFaults(patch: FaultPatch): Promise<void> {
    await this.control('POST', 'faults', patch);
  }

  /** A user's current photo as Graph has it; null when the user has none. */
  async photoOf(userId: string): Promise<Pick<Photo, 'bytes' | 'etag' | 'contentType'> | null> {
    const response = await fetch(`${this.connection.origin}/_sim/users/${encodeURIComponent(userId)}/photo`, {
      dispatcher: this.dispatcher,
      headers: { Authorization: `Bearer ${this.connection.token}` },
    });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok)
      throw new Error(`simulator GET /_sim/users/${userId}/photo answered ${response.status}`);
    return {
      bytes: Buffer.from(await response.arrayBuffer()),
      etag: response.headers.get('etag') ?? '',
      contentType: response.headers.get('content-type') ?? '',
    };
  }

  async stop(): Promise<void> {
    await this.dispatcher.close();
    if (this.child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
      setTimeout(() => this.child.kill('SIGKILL'), 5_000).unref();
    });
  }

  private async control(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.connection.origin}/_sim/${path}`, {
      dispatcher: this.dispatcher,
      method,
      headers: { Authorization: `Bearer ${this.connection.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok)
      throw new Error(
        `simulator ${method} /_sim/${path} answered ${response.status}: ${JSON.stringify(json)}`,
      );
    return json;
  }
}
