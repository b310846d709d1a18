import type { PhotoError } from '../domain/PhotoError';
import type { PhotoOutcome } from '../domain/PhotoOutcome';
import type { Run } from '../domain/Run';

/** The part of the Functions `InvocationContext` that logging needs: plain modules take only this. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

type Level = 'debug' | 'info' | 'warn' | 'error';

/**
 * One JSON object per line, so Application Insights queries can `parse_json(message)` on the same
 * field names everywhere: `event`, `runId`, `userId`, `result`, `errorCode`, `reason`. Tokens,
 * connection strings and photo bytes never reach here.
 */
export class SyncLog {
  constructor(private readonly logger: Logger) {}

  write(level: Level, event: string, fields: Record<string, unknown>): void {
    this.logger[level](JSON.stringify({ event, ...fields }));
  }

  photoResult(runId: string, userId: string, result: PhotoOutcome, reason: string, error?: PhotoError): void {
    if (error !== undefined) {
      this.write('warn', error.code === 'permissionDenied' ? 'permissionProblem' : 'photoResult', {
        runId,
        userId,
        result,
        errorCode: error.code,
        reason: error.message,
      });
      return;
    }
    // Actions and detected changes are information; a user whose photo is as stored is detail.
    const level: Level = result === 'unchanged' || result === 'noPhoto' ? 'debug' : 'info';
    this.write(level, 'photoResult', { runId, userId, result, reason });
  }

  runSummary(run: Run): void {
    const level: Level = run.status === 'failed' || run.photos.failed > 0 ? 'warn' : 'info';
    this.write(level, 'runSummary', {
      runId: run.runId,
      status: run.status,
      trigger: run.trigger,
      photoSyncActive: run.photoSyncActive,
      users: run.users,
      photos: run.photos,
      jobs: run.jobs,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
      errorCode: run.error?.code,
      reason:
        run.error?.message ??
        (run.photoSyncActive ? 'photo sync active' : 'photo sync off: core attributes only'),
    });
  }
}
