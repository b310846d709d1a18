import { SingleBar } from 'cli-progress';

/**
 * One progress bar per measured run, on stderr so stdout stays the report whose last line is the
 * JSON. Without a terminal it prints a line every few seconds instead of redrawing.
 */
export class BenchProgress {
  private bar: SingleBar | undefined;
  private value = 0;

  start(phase: string, total: number): void {
    this.stop();
    this.value = 0;
    this.bar = new SingleBar({
      format: `${phase.padEnd(8)} [{bar}] {percentage}% | {value}/{total} users | {duration}s`,
      noTTYOutput: true,
      notTTYSchedule: 5_000,
      hideCursor: true,
    });
    this.bar.start(total, 0);
  }

  add(users: number): void {
    this.value += users;
    this.bar?.update(this.value);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }

  /** A line between bars: what the benchmark is doing that has no user count. */
  note(text: string): void {
    this.stop();
    process.stderr.write(`${text}\n`);
  }
}
