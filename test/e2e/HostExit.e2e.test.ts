import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { freePort } from '../../dev/azurite/Azurite';
import {
  childrenOf,
  HostProcess,
  isAlive,
  json,
  portRefused,
  READY_TIMEOUT_MS,
  startScript,
} from '../helpers/HostProcess';

/**
 * `kill -9` of `npm start` gives the host no chance to stop what it started: whatever it started
 * must end on its own with it (issue 14, item 3).
 */

const USERS = 10;
/** How long the host's children get to notice that their parent is gone. */
const GONE_WITHIN_MS = 5_000;

function azuriteFolders(): Set<string> {
  return new Set(readdirSync(tmpdir()).filter((name) => name.startsWith('azurite-')));
}

async function until(condition: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

let hosts: HostProcess[] = [];

beforeAll(() => {
  if (!existsSync(startScript))
    throw new Error(
      `${startScript} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
    );
});

afterEach(async () => {
  await Promise.all(hosts.map((host) => host.stop('SIGKILL')));
  hosts = [];
});

test(
  'kill -9 of the host leaves no process, no open Azurite port and no /tmp/azurite-* folder; a restart on the same ports works',
  async () => {
    const foldersBefore = azuriteFolders();
    const ports = [await freePort(), await freePort(), await freePort()];
    const env = { AZURITE_PORTS: ports.join(',') };
    const first = await HostProcess.start({ users: USERS, env });
    hosts.push(first);
    expect(first.azuritePorts).toEqual(ports);
    expect((await first.api('health')).status).toBe(200);
    const children = childrenOf(first.pid);
    // Azurite at least; whatever else the host started must go the same way.
    expect(children.length).toBeGreaterThanOrEqual(1);

    expect(await first.stop('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });

    expect(await until(() => children.every((pid) => !isAlive(pid)))).toBe(true);
    expect(children.filter(isAlive)).toEqual([]);
    expect(await until(async () => (await Promise.all(ports.map(portRefused))).every(Boolean))).toBe(true);
    const newFolders = [...azuriteFolders()].filter((name) => !foldersBefore.has(name));
    expect(newFolders).toEqual([]);

    const second = await HostProcess.start({ users: USERS, env, port: first.port });
    hosts.push(second);
    expect(second.azuritePorts).toEqual(ports);
    expect(await json(await second.api('health'))).toMatchObject({
      status: 'healthy',
      storage: { reachable: true },
    });
  },
  2 * READY_TIMEOUT_MS + 15_000,
);
