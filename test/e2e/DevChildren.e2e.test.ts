import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { childrenOf, isAlive, projectRoot, READY_TIMEOUT_MS } from '../helpers/HostProcess';

/**
 * `npm run bench`, `bench:load` and `chaos` start Azurite, the Graph simulator and a local host as
 * children. A script killed in any way (`kill -9`, a closed terminal) must take them with it:
 * left behind, they hold ports and CPU and skew the next measurement.
 */

const dist = join(projectRoot, 'dist', 'dev');
const GONE_WITHIN_MS = 5_000;

/** A dev script's start-up, as the three scripts do it, from the compiled spawners. */
const PARENT = `
const { Azurite, freePort } = require(${JSON.stringify(join(dist, 'azurite', 'Azurite.js'))});
const { SimulatorProcess } = require(${JSON.stringify(join(dist, 'bench', 'SimulatorProcess.js'))});
const { HostProcess } = require(${JSON.stringify(join(dist, 'bench', 'HostProcess.js'))});
const { writeFileSync } = require('node:fs');
(async () => {
  const azurite = await Azurite.start({ inMemory: true });
  const sim = await SimulatorProcess.start({ users: 5, latencyMs: 0 });
  const caFile = process.argv[1];
  writeFileSync(caFile, sim.connection.caCertPem);
  await HostProcess.start({
    projectRoot: ${JSON.stringify(projectRoot)},
    port: await freePort(),
    env: {
      AzureWebJobsStorage: azurite.connectionString,
      GRAPH_BASE_URL: sim.connection.baseUrl,
      GRAPH_ACCESS_TOKEN: sim.connection.token,
      NODE_EXTRA_CA_CERTS: caFile,
      PHOTO_SYNC_SCHEDULE: '0 0 0 1 1 *',
    },
  });
  console.log('ready');
})().catch((error) => { console.error(error); process.exit(1); });
`;

async function until(condition: () => boolean): Promise<boolean> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
  return true;
}

beforeAll(() => {
  if (!existsSync(join(dist, 'bench', 'HostProcess.js')))
    throw new Error(
      `${dist} is not built: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
    );
});

let parent: ChildProcess | undefined;
const caFile = join(tmpdir(), `dev-children-ca-${process.pid}.pem`);

afterEach(() => {
  parent?.kill('SIGKILL');
  parent = undefined;
  rmSync(caFile, { force: true });
});

test(
  'kill -9 of a dev script leaves none of the Azurite, simulator and host processes it started',
  async () => {
    const child = spawn(process.execPath, ['-e', PARENT, caFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    parent = child;
    await new Promise<void>((resolveReady, reject) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        if (line === 'ready') resolveReady();
      });
      child.once('exit', (code) => reject(new Error(`the dev script exited (${code}) before it was ready`)));
    });
    const children = childrenOf(child.pid!);
    // Azurite, the simulator and the host.
    expect(children).toHaveLength(3);

    child.kill('SIGKILL');

    expect(await until(() => children.every((pid) => !isAlive(pid)))).toBe(true);
    expect(children.filter(isAlive)).toEqual([]);
  },
  READY_TIMEOUT_MS + 15_000,
);
