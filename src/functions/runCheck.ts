import { app, type InvocationContext, type Timer } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { closeStuckRuns } from '../sync/closeStuckRuns';
import { SyncLog } from '../sync/SyncLog';

/**
 * Every 3 minutes: less than the gap between the stuck threshold (12 minutes without progress,
 * src/domain/StuckRun.ts) and the 15 minutes within which a stopped run must end.
 */
const RUN_CHECK_SCHEDULE = '0 */3 * * * *';

/**
 * Closes runs that stopped making progress (docs/design.md, "How runs recover"), so that one ends
 * `failed` / `interrupted` even when no start or timer tick comes to find it.
 */
export async function runCheckHandler(_timer: Timer, context: InvocationContext): Promise<void> {
  const { runs } = await getServices();
  await closeStuckRuns({ runs, log: new SyncLog(context) }, new Date());
}

app.timer('runCheck', {
  schedule: RUN_CHECK_SCHEDULE,
  runOnStartup: false,
  handler: runCheckHandler,
});
