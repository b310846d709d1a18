import { Format, MultiBar, type Options, type Params, type SingleBar } from 'cli-progress';
import type { Run } from '../../src/domain/Run';

interface ProgressPayload {
  label: string;
  detail: string;
}

/** How often a log that is not a terminal gets a progress line. */
const PLAIN_LINE_INTERVAL_MS = 5_000;

function formatLine(options: Options, params: Params, payload: ProgressPayload): string {
  return `${payload.label.padEnd(13)} ${Format.BarFormat(params.progress, options)} ${payload.detail}`;
}

/** Users listed while planning runs (the job total is unknown until it ends), then jobs done / total. */
function describe(run: Run): ProgressPayload & { value: number; total: number } {
  const { total, done } = run.jobs;
  if (total === null)
    return {
      label: 'Listing users',
      detail: `${run.users} users listed, ${done} photo jobs done`,
      value: 0,
      total: 1,
    };
  // A run without photo jobs (photo sync off) is complete once planning is.
  if (total === 0)
    return { label: 'Planned', detail: `${run.users} users, no photo jobs`, value: 1, total: 1 };
  return { label: 'Photo jobs', detail: `${done}/${total} done, ${run.users} users`, value: done, total };
}

/**
 * The run's progress on stderr: a bar on a terminal, with log lines printed above it; on anything
 * else (a CI log, a file) a plain line now and then, since a redrawn bar would be noise there.
 */
export class SyncProgress {
  private readonly bars: MultiBar | undefined;
  private bar: SingleBar | undefined;
  private plain: { label: string; at: number; printed: string; unprinted: string | undefined } = {
    label: '',
    at: 0,
    printed: '',
    unprinted: undefined,
  };

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.bars = stream.isTTY ? new MultiBar({ stream, format: formatLine, barsize: 30 }) : undefined;
  }

  show(run: Run): void {
    const state = describe(run);
    const payload: ProgressPayload = { label: state.label, detail: state.detail };
    if (this.bars !== undefined) {
      if (this.bar === undefined) {
        this.bar = this.bars.create(state.total, state.value, payload);
      } else {
        this.bar.setTotal(state.total);
        this.bar.update(state.value, payload);
      }
      return;
    }
    const line = `${state.label}: ${state.detail}`;
    const now = Date.now();
    if (state.label !== this.plain.label) {
      // The last count of the step that ended, which the interval may have held back: otherwise a
      // listing faster than the interval only ever shows its first "0 users listed".
      if (this.plain.unprinted !== undefined) this.stream.write(`${this.plain.unprinted}\n`);
    } else if (now - this.plain.at < PLAIN_LINE_INTERVAL_MS && run.status === 'running') {
      this.plain.unprinted = line === this.plain.printed ? undefined : line;
      return;
    }
    this.plain = { label: state.label, at: now, printed: line, unprinted: undefined };
    this.stream.write(`${line}\n`);
  }

  log(line: string): void {
    if (this.bars !== undefined && this.bar !== undefined) this.bars.log(`${line}\n`);
    else this.stream.write(`${line}\n`);
  }

  stop(): void {
    if (this.bars === undefined) return;
    // stop() draws the bar a last time but drops log lines still waiting for a redraw.
    this.bars.update();
    this.bars.stop();
  }
}
