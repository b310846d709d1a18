/**
 * `npm start`: the app on this machine without Azure Functions Core Tools. Starts Azurite (in
 * memory, or on disk with `--data <dir>` / LOCAL_DATA_DIR) unless storage is configured, a demo
 * tenant unless a Graph credential or GRAPH_BASE_URL is, then the app's own functions. Ctrl-C
 * stops everything; Azurite ends with this process however it ends (dev/azurite/Azurite.ts).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeConfig, loadConfig, type AppConfig } from '../../src/config/AppConfig';
import { ConfigError } from '../../src/config/ConfigError';
import { createServices, useServices } from '../../src/app/AppServices';
import { LocalEnvironment } from './LocalEnvironment';
import { LocalHost } from './LocalHost';

const projectRoot = resolve(__dirname, '..', '..', '..');

const USAGE = `Usage: npm start -- [--data <dir>]

  --data <dir>   keep Azurite's data and the demo tenant's state in <dir> between starts
                 (default: the LOCAL_DATA_DIR setting; without either, everything is in memory)`;

async function main(argv: string[]): Promise<void> {
  const write = (line: string): void => void process.stdout.write(`${line}\n`);
  const stops: Array<() => Promise<void>> = [];

  let dataDir: string | undefined;
  try {
    dataDir = parseArgs({ args: argv, options: { data: { type: 'string' } }, strict: true }).values.data;
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    process.exit(2);
  }
  const local = await LocalEnvironment.start({ projectRoot, write, azuriteWellKnownPorts: true, dataDir });
  stops.push(() => local.stop());
  const { env, demo } = local;

  let config: AppConfig;
  let host: LocalHost;
  try {
    config = loadConfig(env);
    useServices(createServices({ env }));
    host = await LocalHost.start({
      projectRoot,
      config,
      appSettings: { ...env, PHOTO_QUEUE: config.photoQueue, PHOTO_SYNC_SCHEDULE: config.syncSchedule },
      port: config.port,
      write,
      verbose: env.LOG_LEVEL === 'debug',
      onLog: (_level, message) => {
        if (demo !== undefined && message.startsWith('{"event":"runStarted"')) demo.onRunStarted();
      },
    });
  } catch (error) {
    // Azurite is a child process: it would outlive a start-up that fails here.
    await local.stop();
    throw error;
  }
  stops.unshift(() => host.stop());

  write('');
  for (const [key, value] of Object.entries(describeConfig(config))) write(`  ${key}: ${value}`);
  write('');
  for (const line of host.describe()) write(line);
  write('');
  write(
    `Ready. Try: curl -X PATCH ${host.url}/api/settings -H 'Content-Type: application/json' -d '{"userPhotos":true,"syncUserPhotos":true}'`,
  );
  write(
    `           curl -X POST ${host.url}/api/sync -H 'Content-Type: application/json'   then   curl ${host.url}/api/runs`,
  );

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    write(`${signal}: stopping…`);
    for (const stop of stops)
      await stop().catch((error: unknown) =>
        write(`while stopping: ${error instanceof Error ? error.message : String(error)}`),
      );
    write('Stopped.');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof ConfigError ? error.message : `Start-up failed: ${error instanceof Error ? error.message : String(error)}`}\n`,
  );
  process.exit(1);
});
