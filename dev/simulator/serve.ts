/**
 * Runs a Graph simulator until SIGTERM/SIGINT, for the local demo tenant and for benchmarks that
 * need the fake Graph in its own process. Prints one JSON line with what a client needs to connect:
 * `{"baseUrl","origin","token","caCertPem"}`.
 *
 *   node dist/dev/simulator/serve.js --users 1000 --latency-ms 20 --throttle-rps 200 --seed 1 --port 8443 --token dev
 *     [--scope-members 500]   (a group of the first 500 users; its id is printed as `scopeGroupId`)
 *
 * `--ca-file <path>` also writes its certificate there, for a client in another process to trust
 * (`NODE_EXTRA_CA_CERTS=<path> func start`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { GraphSimulator } from './GraphSimulator';
import { SimulatedTenant } from './SimulatedTenant';

const DEFAULT_USERS = 1000;

function numberOption(values: Record<string, string | undefined>, name: string): number | undefined {
  const text = values[name];
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0)
    throw new Error(`--${name} must be a non-negative number, got '${text}'`);
  return value;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      users: { type: 'string' },
      'latency-ms': { type: 'string' },
      'throttle-rps': { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      token: { type: 'string' },
      'scope-members': { type: 'string' },
      'ca-file': { type: 'string' },
    },
    strict: true,
  });
  const tenant = new SimulatedTenant({
    userCount: numberOption(values, 'users') ?? DEFAULT_USERS,
    seed: numberOption(values, 'seed'),
  });
  const scopeMembers = numberOption(values, 'scope-members');
  const scopeGroupId =
    scopeMembers === undefined
      ? undefined
      : tenant.groups.add({ displayName: 'Benchmark scope', userRange: { from: 0, to: scopeMembers } });
  const throttleRps = numberOption(values, 'throttle-rps');
  const sim = await GraphSimulator.start({
    tenant,
    latencyMs: numberOption(values, 'latency-ms'),
    throttleRps: throttleRps === 0 ? undefined : throttleRps,
    port: numberOption(values, 'port'),
    token: values.token,
  });
  const caFile = values['ca-file'];
  if (caFile !== undefined) {
    mkdirSync(dirname(caFile), { recursive: true });
    writeFileSync(caFile, sim.caCertPem);
  }
  process.stdout.write(
    `${JSON.stringify({ baseUrl: sim.baseUrl, origin: sim.origin, token: sim.token, caCertPem: sim.caCertPem, scopeGroupId })}\n`,
  );

  // Closing every socket lets the event loop drain, so the process exits on its own.
  const shutdown = (): void => void sim.stop();
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
