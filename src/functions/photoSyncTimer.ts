import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { planRun } from '../sync/planRun';
import { startRun } from '../sync/startRun';
import { plannerDeps } from '../sync/SyncDeps';
import { SyncLog } from '../sync/SyncLog';

/**
 * The scheduled run (docs/design.md, "Planning"): opens a run and plans it in this invocation, page
 * by page.
 */
export async function photoSyncTimerHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const services = await getServices();
  if (timer.isPastDue)
    new SyncLog(context).write('warn', 'timerPastDue', {
      reason: 'the schedule was missed (host down or busy); running now',
    });
  const run = await startRun('timer', {
    settings: services.settings,
    runs: services.runs,
    log: new SyncLog(context),
  });
  await planRun(run, plannerDeps(services, context));
}

app.timer('photoSyncTimer', {
  schedule: '%PHOTO_SYNC_SCHEDULE%',
  runOnStartup: false,
  handler: photoSyncTimerHandler,
});
