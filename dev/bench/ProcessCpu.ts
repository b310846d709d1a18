import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSeconds {
  /** This process: the app, its SDKs and the host's queue polling. */
  app: number;
  /** Null where /proc cannot be read (not Linux). */
  azurite: number | null;
  simulator: number | null;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks on every common platform. */
const TICKS_PER_SECOND = 100;

export function procCpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // After the parenthesised command name: state (field 3), parent pid (4), … utime (14), stime (15).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Azurite is started by dev/azurite/Azurite.ts, which keeps its child to itself: found by parent and command line. */
export function childPid(commandPart: string): number | undefined {
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (parent === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(commandPart))
          return Number(entry);
      } catch {
        // The process ended while the list was read.
      }
    }
  } catch {
    // No /proc: not Linux.
  }
  return undefined;
}

/**
 * CPU time of the three processes a benchmark run keeps busy. On two cores they compete, so the
 * split tells whether a run waited for Graph's latency, for storage, or for the app itself.
 */
export class ProcessCpu {
  private readonly azuritePid = childPid('azurite');

  constructor(private readonly simulatorPid: number | undefined) {}

  read(): CpuSeconds {
    const usage = process.cpuUsage();
    return {
      app: (usage.user + usage.system) / 1e6,
      azurite: procCpuSeconds(this.azuritePid),
      simulator: procCpuSeconds(this.simulatorPid),
    };
  }

  since(start: CpuSeconds): CpuSeconds {
    const now = this.read();
    const diff = (a: number | null, b: number | null): number | null =>
      a === null || b === null ? null : Math.round((a - b) * 100) / 100;
    return {
      app: Math.round((now.app - start.app) * 100) / 100,
      azurite: diff(now.azurite, start.azurite),
      simulator: diff(now.simulator, start.simulator),
    };
  }
}
