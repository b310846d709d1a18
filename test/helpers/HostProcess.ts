import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { freePort } from '../../dev/azurite/Azurite';
import type { Run } from '../../src/domain/Run';
import { DEMO_ONLY_ENV } from './demoOnlyEnv';

export const projectRoot = resolve(__dirname, '..', '..');
export const startScript = join(projectRoot, 'dist', 'dev', 'host', 'start.js');
export const READY_TIMEOUT_MS = 30_000;
const RUN_TIMEOUT_MS = 20_000;

export interface HostProcessOptions {
  users: number;
  /** Settings beside the ones that make it start Azurite and the demo tenant. */
  env?: Record<string, string>;
  /** `npm start -- <args>`. */
  args?: string[];
  /** Reuse a port (a restart); a free one otherwise. */
  port?: number;
}

export type HostExit = { code: number | null; signal: NodeJS.Signals | null };

/**
 * `npm start` as a user runs it: the built host in its own process, driven only over HTTP — the
 * app's API on one side, the demo simulator's /_sim/ control API on the other.
 */
export class HostProcess {
  output = '';
  private readonly exited: Promise<HostExit>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly token: string,
    // The simulator's certificate is made at start-up and only the host trusts it; a test talks
    // to that loopback control API without verifying it.
    private readonly simAgent = new Agent({ connect: { rejectUnauthorized: false } }),
  ) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => resolveExit({ code, signal })),
    );
  }

  static async start(options: HostProcessOptions): Promise<HostProcess> {
    const port = options.port ?? (await freePort());
    const token = randomBytes(24).toString('base64url');
    const child = spawn(process.execPath, [startScript, ...(options.args ?? [])], {
      cwd: projectRoot,
      env: { ...hostEnv(port, options.users, token), ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const host = new HostProcess(child, port, token);
    await host.waitFor('Ready.', READY_TIMEOUT_MS);
    return host;
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the host has no pid');
    return this.child.pid;
  }

  get simOrigin(): string {
    const match = /Graph simulator at (https:\/\/\S+)/.exec(this.output);
    if (match === null) throw new Error(`the banner names no simulator:\n${this.output}`);
    return new URL(match[1]).origin;
  }

  get azuritePorts(): number[] {
    const match = /Azurite \([^)]*\): blob (\d+), queue (\d+), table (\d+)/.exec(this.output);
    if (match === null) throw new Error(`the banner names no Azurite:\n${this.output}`);
    return [Number(match[1]), Number(match[2]), Number(match[3])];
  }

  api(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`http://127.0.0.1:${this.port}/api/${path}`, init);
  }

  sim(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
    return fetch(`${this.simOrigin}/_sim/${path}`, {
      method: init.method ?? 'GET',
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      dispatcher: this.simAgent,
    });
  }

  /** `POST /api/sync`, then the run followed at its `Location` until it has completed. */
  async runSync(): Promise<Run> {
    const started = await this.api('sync', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
    });
    const { runId } = await json<{ runId: string }>(started, 202);
    const location = started.headers.get('location');
    if (location !== `/api/runs/${runId}`) throw new Error(`run ${runId} started with Location ${location}`);
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const run = await json<Run>(await fetch(`http://127.0.0.1:${this.port}${location}`));
      if (run.status !== 'running') {
        if (run.status !== 'completed')
          throw new Error(`run ${runId} ended ${run.status}: ${JSON.stringify(run)}`);
        return run;
      }
      if (Date.now() > deadline)
        throw new Error(`run ${runId} still running after ${RUN_TIMEOUT_MS} ms: ${JSON.stringify(run)}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 200));
    }
  }

  async stop(signal: NodeJS.Signals): Promise<HostExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timeout = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timeout);
      if (!this.simAgent.closed) await this.simAgent.close();
    }
  }

  async waitFor(text: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(text)) {
      if (this.child.exitCode !== null)
        throw new Error(`the host exited (${this.child.exitCode}) before "${text}":\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" within ${timeoutMs} ms:\n${this.output}`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
    }
  }
}

/** The built host on `port` with a demo tenant of `users`, whatever the machine has configured. */
export function hostEnv(port: number, users: number, token: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(port),
    DEMO_USERS: String(users),
    DEMO_CHANGE_RATE: '0',
    DEMO_GRAPH_TOKEN: token,
    // Far from any test run, so the timer cannot add a run of its own.
    PHOTO_SYNC_SCHEDULE: '0 0 0 1 1 *',
    ...DEMO_ONLY_ENV,
  };
}

/** The processes whose parent is `pid`, from /proc (Linux). */
export function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat?.ppid === pid) children.push(Number(entry));
  }
  return children;
}

/** A process that exists and is not a zombie waiting to be reaped. */
export function isAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== undefined && stat.state !== 'Z';
}

function procStat(pid: number): { state: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name, in parentheses, may itself hold spaces and parentheses: fields follow the last ')'.
  const [state, ppid] = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state, ppid: Number(ppid) };
}

export async function portRefused(port: number): Promise<boolean> {
  return new Promise<boolean>((resolveConnect) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolveConnect(false);
    });
    socket.once('error', () => resolveConnect(true));
  });
}

export async function json<T>(response: Response, status = 200): Promise<T> {
  const text = await response.text();
  if (response.status !== status)
    throw new Error(`${response.url}: expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}
