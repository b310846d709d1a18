import { setTimeout as sleep } from 'node:timers/promises';
import type { Run } from '../../src/domain/Run';

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A run started, or the run that held the slot for as long as the caller was willing to wait. */
export type StartAnswer = { kind: 'started'; runId: string } | { kind: 'refused'; runningRunId: string };

const POLL_MS = 250;

/**
 * The operator API of a running host, as a script drives it: every change sent as JSON, and a
 * start that finds a run in progress (409 `runInProgress`) waits for that run instead of failing.
 */
export class HostApi {
  constructor(private readonly url: string) {}

  async call(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    const response = await fetch(`${this.url}/api/${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: the caller sees the text.
    }
    return { status: response.status, body: parsed };
  }

  async enablePhotoSync(): Promise<void> {
    const answer = await this.call('PATCH', 'settings', { userPhotos: true, syncUserPhotos: true });
    if (answer.status !== 200)
      throw new Error(`settings not saved: ${answer.status} ${JSON.stringify(answer.body)}`);
  }

  /**
   * `POST /api/sync`. While another run holds the slot, waits for it to end (or to be closed as
   * interrupted) and asks again, for up to `waitMs`.
   */
  async startRun(waitMs: number): Promise<StartAnswer> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const answer = await this.call('POST', 'sync', {});
      const body = answer.body as { runId?: string; error?: { code?: string } };
      if (answer.status === 202 && typeof body.runId === 'string')
        return { kind: 'started', runId: body.runId };
      if (answer.status !== 409 || typeof body.runId !== 'string')
        throw new Error(`POST /api/sync answered ${answer.status}: ${JSON.stringify(answer.body)}`);
      if (Date.now() >= deadline) return { kind: 'refused', runningRunId: body.runId };
      await this.waitForRun(body.runId, Math.min(deadline - Date.now(), 5_000));
    }
  }

  async run(runId: string): Promise<Run> {
    const answer = await this.call('GET', `runs/${encodeURIComponent(runId)}`);
    if (answer.status !== 200) throw new Error(`GET /api/runs/${runId} answered ${answer.status}`);
    return answer.body as Run;
  }

  /** Polls the run until it is no longer `running` or `timeoutMs` passed; returns its last state. */
  async waitForRun(runId: string, timeoutMs: number, until: (run: Run) => boolean = isOver): Promise<Run> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = await this.run(runId);
      if (until(run) || Date.now() >= deadline) return run;
      await sleep(POLL_MS);
    }
  }

  /** Every run, newest first, following `next` where the API pages them. */
  async runs(): Promise<Run[]> {
    const runs: Run[] = [];
    let query = 'top=100';
    for (;;) {
      const answer = await this.call('GET', `runs?${query}`);
      if (answer.status !== 200) throw new Error(`GET /api/runs answered ${answer.status}`);
      const page = answer.body as { runs: Run[]; next?: string | null };
      runs.push(...page.runs);
      if (typeof page.next !== 'string' || page.next === '') return runs;
      query = `top=100&next=${encodeURIComponent(page.next)}`;
    }
  }
}

export const isOver = (run: Run): boolean => run.status !== 'running';
