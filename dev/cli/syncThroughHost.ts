import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { Run } from '../../src/domain/Run';
import { failedUsersOfRun, type FailedUser } from './failedUsersOfRun';
import { formatRunSummary } from './formatRunSummary';
import { photoSyncOffNotice } from './photoSyncOffNotice';
import { SyncProgress } from './SyncProgress';

export interface HostSyncOptions {
  json: boolean;
  /** Turn userPhotos and syncUserPhotos on before the run. */
  photos: boolean;
}

export interface Terminal {
  out: (line: string) => void;
  note: (line: string) => void;
}

const POLL_MS = 250;
const JSON_CONTENT = { 'Content-Type': 'application/json' };

const RunSchema = z.looseObject({
  runId: z.string(),
  status: z.enum(['running', 'completed', 'failed']),
  photoSyncActive: z.boolean(),
});
const SettingsSchema = z.looseObject({ userPhotos: z.boolean(), syncUserPhotos: z.boolean() });
const StartedSchema = z.object({ runId: z.string() });
const BusySchema = z.object({ error: z.object({ code: z.literal('runInProgress') }), runId: z.string() });
const FailedPageSchema = z.object({
  users: z.array(
    z.object({
      id: z.string(),
      userPrincipalName: z.string().nullable(),
      photo: z.object({
        lastCheckedAt: z.string().nullable(),
        lastError: z.object({ code: z.string(), message: z.string() }).nullable(),
      }),
    }),
  ),
  next: z.string().nullable(),
});

/**
 * `npm run sync` beside a running `npm start`: the run is the host's, started and followed over
 * its HTTP API, so it uses the host's stores and demo tenant (a second demo tenant would have other
 * photos, and the two would change them back and forth). A run in progress there is followed.
 */
export async function syncThroughHost(
  hostUrl: string,
  options: HostSyncOptions,
  interrupted: AbortSignal,
  terminal: Terminal,
): Promise<number> {
  const api = async <T>(path: string, schema: z.ZodType<T>, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(`${hostUrl}${path}`, init);
    const text = await response.text();
    const parsed = schema.safeParse(JSON.parse(text));
    if (!parsed.success)
      throw new Error(`${init.method ?? 'GET'} ${path} answered ${response.status}: ${text}`);
    return parsed.data;
  };
  terminal.note(
    `Using the running host at ${hostUrl}: its storage and Graph (npm start's demo tenant, if it runs one).`,
  );
  if (options.photos) {
    await api('/api/settings', SettingsSchema, {
      method: 'PATCH',
      headers: JSON_CONTENT,
      body: JSON.stringify({ userPhotos: true, syncUserPhotos: true }),
    });
    terminal.note('--photos: userPhotos and syncUserPhotos are on.');
  }
  // The busy answer first: it has a runId too, so the started shape alone would match it.
  const start = await api('/api/sync', z.union([BusySchema, StartedSchema]), {
    method: 'POST',
    headers: JSON_CONTENT,
  });
  const runPath = `/api/runs/${encodeURIComponent(start.runId)}`;
  if ('error' in start)
    terminal.note(`Run ${start.runId} is in progress in the host: following it instead of starting another.`);
  else {
    terminal.note(`Run ${start.runId} started.`);
    const first = await api(runPath, RunSchema);
    if (!first.photoSyncActive)
      terminal.note(
        photoSyncOffNotice(await api('/api/settings', SettingsSchema), { hostUrl, inMemory: false }),
      );
  }

  const progress = new SyncProgress(process.stderr);
  let run: Run;
  try {
    for (;;) {
      run = (await api(runPath, RunSchema)) as unknown as Run;
      progress.show(run);
      if (run.status !== 'running') break;
      await sleep(POLL_MS, undefined, { signal: interrupted });
    }
  } catch (error) {
    if (!interrupted.aborted) throw error;
    terminal.note(`Interrupted: run ${start.runId} goes on in the host; follow it at ${hostUrl}${runPath}.`);
    return 130;
  } finally {
    progress.stop();
  }

  const failures = run.photos.failed > 0 ? await failedUsersOfRun(failedThroughApi(run)) : [];
  terminal.out('');
  for (const line of formatRunSummary(run, failures)) terminal.out(line);
  // Exactly as the API answers it, the run having finished.
  if (options.json) terminal.out(await (await fetch(`${hostUrl}${runPath}`)).text());
  return run.status === 'completed' ? 0 : 1;

  /** `GET /api/users?result=failed`, those checked since the run started: one run at a time, so this run's. */
  async function* failedThroughApi(finished: Run): AsyncIterable<FailedUser> {
    let next: string | null = null;
    do {
      const query: URLSearchParams = new URLSearchParams({
        result: 'failed',
        top: '500',
        ...(next === null ? {} : { next }),
      });
      const page: z.infer<typeof FailedPageSchema> = await api(`/api/users?${query}`, FailedPageSchema);
      for (const user of page.users)
        if (user.photo.lastCheckedAt !== null && user.photo.lastCheckedAt >= finished.startedAt)
          yield {
            code: user.photo.lastError?.code ?? 'unknown',
            message: user.photo.lastError?.message ?? '',
            name: user.userPrincipalName ?? user.id,
          };
      next = page.next;
    } while (next !== null);
  }
}
