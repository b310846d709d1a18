import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { spawnNodeChild } from '../process/spawnNodeChild';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

export interface HostProcessOptions {
  projectRoot: string;
  /** Added to this process's environment: the stores, Graph and `PORT` the host is to use. */
  env: Record<string, string>;
  port: number;
  /** Every line the host prints, as it prints it. */
  onLine?: (line: string) => void;
}

/** Lines kept for the message of a host that did not come up. */
const TAIL_LINES = 40;
const START_TIMEOUT_MS = 60_000;

/**
 * `npm start`'s entry (dist/dev/host/start.js) as a child process, pointed at stores and a Graph
 * that are not its own, so it can be SIGKILLed and started again while they keep their state.
 */
export class HostProcess {
  private readonly tail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  static async start(options: HostProcessOptions): Promise<HostProcess> {
    const child = spawnNodeChild(join(options.projectRoot, 'dist', 'dev', 'host', 'start.js'), [], {
      cwd: options.projectRoot,
      env: { ...process.env, ...options.env, PORT: String(options.port) },
    });
    const host = new HostProcess(child, `http://127.0.0.1:${options.port}`);
    for (const stream of [child.stdout, child.stderr])
      if (stream !== null)
        createInterface({ input: stream }).on('line', (line) => {
          host.tail.push(line);
          if (host.tail.length > TAIL_LINES) host.tail.shift();
          options.onLine?.(line);
        });
    await host.untilServing();
    return host;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** `kill -9`: no handler runs, no lease is given back, nothing is flushed. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** Ctrl-C: the host stops its queues and HTTP server and exits. */
  async stop(): Promise<void> {
    const killLater = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.signal('SIGTERM');
    clearTimeout(killLater);
  }

  /** Whatever the host printed last, for an error message. */
  lastLines(): string {
    return this.tail.join('\n');
  }

  private async signal(signal: NodeJS.Signals): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill(signal);
    await exited;
  }

  /** The HTTP server answers (any status): the routes, queues and timers are up. */
  private async untilServing(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`the host exited while starting:\n${this.lastLines()}`);
      try {
        await fetch(`${this.url}/api/health`, { signal: AbortSignal.timeout(2_000) });
        return;
      } catch {
        await sleep(100);
      }
    }
    await this.kill();
    throw new Error(`the host did not answer within ${START_TIMEOUT_MS / 1000} s:\n${this.lastLines()}`);
  }
}
