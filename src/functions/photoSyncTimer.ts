import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { planRun } from '../sync/planRun';
import { startRun } from '../sync/startRun';
import { plannerDeps } from '../sync/SyncDeps';
import { SyncLog } from '../sync/SyncLog';

/**
 * The scheduled run (docs/design.md, "Planning"): opens a run and plans it in this invocation, page
 * by page; a tick while another run is in progress starts nothing (`runSkipped`).
 */
export async function photoSyncTimerHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const log = new SyncLog(context);
  if (timer.isPastDue)
    log.write('warn', 'timerPastDue', { reason: 'the schedule was missed (host down or busy); running now' });
  const start = await startRun('timer', { settings: services.settings, runs: services.runs, log });
  if (start.kind === 'busy') {
    log.write('info', 'runSkipped', {
      runId: start.runId,
      reason: `run ${start.runId} is in progress: only one run at a time; the next tick runs again`,
    });
    return;
  }
  await planRun(start.run, plannerDeps(services, context));
}

app.timer('photoSyncTimer', {
  schedule: '%PHOTO_SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: photoSyncTimerHandler,
});
