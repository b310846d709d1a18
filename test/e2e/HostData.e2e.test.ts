import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256 } from '../helpers/Invariants';
import {
  childrenOf,
  HostProcess,
  isAlive,
  json,
  READY_TIMEOUT_MS,
  startScript,
} from '../helpers/HostProcess';

/**
 * `npm start -- --data <dir>` keeps the local data between starts, `kill -9` included: the
 * settings, the runs, the photos, and a demo tenant whose photos are the ones the store holds.
 */

const USERS = 30;
/** Photos change from the second run on: a restarted demo tenant must start with those changes. */
const env = { DEMO_CHANGE_RATE: '0.3' };

let dataDir: string;
const hosts: HostProcess[] = [];

beforeAll(() => {
  if (!existsSync(startScript))
    throw new Error(
      `${startScript} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
    );
  dataDir = mkdtempSync(join(tmpdir(), 'host-data-'));
});

/** Stops the host, then waits for its Azurite to have saved its data and ended. */
async function stopAndWait(host: HostProcess, signal: NodeJS.Signals): Promise<void> {
  const children = childrenOf(host.pid);
  await host.stop(signal);
  while (children.some(isAlive)) await new Promise((resolveWait) => setTimeout(resolveWait, 100));
}

afterAll(async () => {
  await Promise.all(hosts.map((host) => stopAndWait(host, 'SIGKILL')));
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

async function start(): Promise<HostProcess> {
  const host = await HostProcess.start({ users: USERS, env, args: ['--data', dataDir] });
  hosts.push(host);
  return host;
}

async function storedPhotos(host: HostProcess): Promise<Map<string, string | null>> {
  const { users } = await json<{ users: Array<{ id: string; photo: { sha256: string | null } }> }>(
    await host.api('users?top=500'),
  );
  return new Map(users.map((user) => [user.id, user.photo.sha256]));
}

async function tenantPhotos(host: HostProcess, ids: Iterable<string>): Promise<Map<string, string | null>> {
  const photos = new Map<string, string | null>();
  for (const id of ids) {
    const response = await host.sim(`users/${encodeURIComponent(id)}/photo`);
    photos.set(id, response.status === 404 ? null : sha256(Buffer.from(await response.arrayBuffer())));
  }
  return photos;
}

test(
  'after kill -9 and a restart with the same --data, settings, runs and photos are kept and the demo tenant has the same photos',
  async () => {
    const first = await start();
    expect(first.output).toContain(`Azurite (data in ${join(dataDir, 'azurite')}`);
    await json(
      await first.api('settings', {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ userPhotos: true, syncUserPhotos: true }),
      }),
    );
    const added = await first.runSync();
    const changed = await first.runSync();
    expect(added.photos.added).toBeGreaterThan(0);
    expect(changed.photos.updated).toBeGreaterThan(0);
    const stored = await storedPhotos(first);
    expect(await tenantPhotos(first, stored.keys())).toEqual(stored);
    // Right after the last write: Azurite, which saves its data every few seconds, must save it as
    // it ends with the killed host.
    await stopAndWait(first, 'SIGKILL');
    expect(readdirSync(dataDir).sort()).toEqual(['azurite', 'demo-tenant.json']);
    const second = await start();

    expect(await json(await second.api('settings'))).toMatchObject({ photoSyncActive: true });
    const { runs } = await json<{ runs: Array<{ runId: string }> }>(await second.api('runs'));
    expect(runs.map((run) => run.runId).sort()).toEqual([added.runId, changed.runId].sort());
    expect(await storedPhotos(second)).toEqual(stored);
    // Not the first start's seed alone: a tenant that forgot its changes would change them back.
    expect(await tenantPhotos(second, stored.keys())).toEqual(stored);
  },
  2 * READY_TIMEOUT_MS + 60_000,
);
