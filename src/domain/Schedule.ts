import { CronExpressionParser } from 'cron-parser';

/**
 * When a six-field NCRONTAB schedule (seconds first, as the timer trigger takes it) fires next
 * after `after`, in UTC as the Functions host reads it by default. Throws on a schedule it cannot
 * read.
 */
export function nextScheduledRun(schedule: string, after = new Date()): Date {
  return CronExpressionParser.parse(schedule, { currentDate: after, tz: 'UTC' }).next().toDate();
}
