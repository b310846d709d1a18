import type { SimulatorCounters } from '../simulator/SimulatorCounters';
import type { CpuSeconds, ProcessCpu } from './ProcessCpu';
import type { SimulatorProcess } from './SimulatorProcess';
import type { StorageOpCounter, StorageOps } from './StorageOpCounter';

export interface GraphFigures {
  /** Every HTTP request that reached Graph: list pages, `$batch` calls, direct requests. */
  requests: number;
  listPages: number;
  batchCalls: number;
  batchItems: number;
  directMetadata: number;
  directValue: number;
  /** Photo bytes Graph sent (base64 inside `$batch` decoded). */
  photoBytes: number;
  /** 429 answers, direct and per `$batch` item. */
  throttled: number;
  /** Requests sent before the `Retry-After` Graph gave for the same resource ran out. */
  earlyRequests: number;
}

export interface RunFigures {
  wallSeconds: number;
  graph: GraphFigures;
  storage: StorageOps;
  /** Highest resident set size of this process sampled during the run. */
  peakRssMb: number;
  cpuSeconds: CpuSeconds;
}

export interface Probes {
  sim: SimulatorProcess;
  storage: StorageOpCounter;
  cpu: ProcessCpu;
}

const RSS_SAMPLE_MS = 100;
const MB = 1024 * 1024;

function graphFigures(counters: SimulatorCounters): GraphFigures {
  return {
    requests: counters.requests,
    listPages: counters.listPages,
    batchCalls: counters.batchCalls,
    batchItems: counters.batchItems,
    directMetadata: counters.directMetadata,
    directValue: counters.directValue,
    photoBytes: counters.photoBytesServed,
    throttled: counters.throttled,
    earlyRequests: counters.earlyRequests,
  };
}

/**
 * Runs `work` with every counter at zero: the simulator's Graph counters, the storage requests,
 * the CPU time of each process and a resident-memory sampler. The resets and the read-back are
 * left out of the storage counts.
 */
export async function measureRun<T>(
  { sim, storage, cpu }: Probes,
  work: () => Promise<T>,
): Promise<{ figures: RunFigures; result: T }> {
  await storage.uncounted(() => sim.resetCounters());
  storage.take();
  const cpuAtStart = cpu.read();
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), RSS_SAMPLE_MS);
  const startedAt = performance.now();
  try {
    const result = await work();
    const wallSeconds = (performance.now() - startedAt) / 1000;
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const ops = storage.take();
    const cpuSeconds = cpu.since(cpuAtStart);
    const counters = await storage.uncounted(() => sim.counters());
    return {
      figures: {
        wallSeconds,
        graph: graphFigures(counters),
        storage: ops,
        peakRssMb: peakRss / MB,
        cpuSeconds,
      },
      result,
    };
  } finally {
    clearInterval(sampler);
  }
}
