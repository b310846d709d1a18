import { existsSync } from 'node:fs';
import { sha256 } from '../helpers/Invariants';
import { HostProcess, json, portRefused, READY_TIMEOUT_MS, startScript } from '../helpers/HostProcess';

/**
 * `npm start` as a user runs it: the built host in its own process, driven only over HTTP — the
 * app's API on one side, the demo simulator's /_sim/ control API on the other.
 */

const USERS = 60;

interface UserView {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  photo: { status: string; sha256: string | null; lastResult: string | null };
}

interface PhotoEvent {
  at: string;
  runId: string;
  result: string;
  error: unknown;
}

let host: HostProcess;

beforeAll(async () => {
  if (!existsSync(startScript))
    throw new Error(
      `${startScript} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
    );
  host = await HostProcess.start({ users: USERS });
}, READY_TIMEOUT_MS + 5_000);

afterAll(async () => {
  await host?.stop('SIGKILL');
});

async function users(): Promise<UserView[]> {
  const page = await json<{ users: UserView[]; next: string | null }>(await host.api('users?top=500'));
  expect(page.next).toBeNull();
  return page.users;
}

async function photoRequests(): Promise<number> {
  const counters = await json<{
    batchItems: number;
    directMetadata: number;
    directValue: number;
    listPages: number;
  }>(await host.sim('counters'));
  expect(counters.listPages).toBeGreaterThan(0);
  return counters.batchItems + counters.directMetadata + counters.directValue;
}

interface ServedPhoto {
  status: number;
  etag: string | null;
  bytes: Buffer;
}

async function servedPhoto(userId: string): Promise<ServedPhoto> {
  const response = await host.api(`users/${encodeURIComponent(userId)}/photo`);
  return {
    status: response.status,
    etag: response.headers.get('etag'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

async function servedPhotos(ids: readonly string[]): Promise<Map<string, ServedPhoto>> {
  return new Map(await Promise.all(ids.map(async (id) => [id, await servedPhoto(id)] as const)));
}

async function simPhoto(userId: string): Promise<{ bytes: Buffer; contentType: string } | null> {
  const response = await host.sim(`users/${encodeURIComponent(userId)}/photo`);
  if (response.status === 404) return null;
  expect(response.status).toBe(200);
  return {
    bytes: Buffer.from(await response.arrayBuffer()),
    contentType: response.headers.get('content-type') ?? '',
  };
}

async function photoLog(userId: string): Promise<PhotoEvent[]> {
  return (
    await json<{ events: PhotoEvent[] }>(await host.api(`users/${encodeURIComponent(userId)}/photo/log`))
  ).events;
}

const ZERO = { added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 };
let ids: string[] = [];
let withPhoto: string[] = [];
/** The photo ETags served after the latest photo run. */
let etagsBefore = new Map<string, string | null>();

test('defaults off: a run syncs every user and sends not one photo request', async () => {
  expect(await json(await host.api('health'))).toEqual({
    status: 'healthy',
    storage: { reachable: true },
    graph: { reachable: true, problem: null },
    schedule: { expression: '0 0 0 1 1 *', nextRunAt: expect.stringMatching(/-01-01T00:00:00\.000Z$/) },
  });
  expect(await json(await host.api('settings'))).toMatchObject({
    userPhotos: false,
    syncUserPhotos: false,
    photoSyncActive: false,
  });
  await json(await host.sim('counters/reset', { method: 'POST' }));

  const run = await host.runSync();

  expect(run).toMatchObject({ trigger: 'manual', photoSyncActive: false, users: USERS, photos: ZERO });
  const listed = await users();
  expect(listed).toHaveLength(USERS);
  for (const user of listed) {
    expect(user.displayName).toEqual(expect.any(String));
    expect(user.userPrincipalName).toMatch(/@/);
    expect(user.photo).toMatchObject({ status: 'unknown', sha256: null, lastResult: null });
  }
  expect(await photoRequests()).toBe(0);
  ids = listed.map((user) => user.id);
});

test('both settings on: every served photo is the simulator\'s, byte for byte, with ETag "<sha256>"', async () => {
  const settings = await host.api('settings', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ userPhotos: true, syncUserPhotos: true }),
  });
  expect(await json(settings)).toMatchObject({ photoSyncActive: true });

  const run = await host.runSync();

  const simPhotos = new Map(await Promise.all(ids.map(async (id) => [id, await simPhoto(id)] as const)));
  withPhoto = ids.filter((id) => simPhotos.get(id) !== null);
  expect(withPhoto.length).toBeGreaterThan(2);
  expect(withPhoto.length).toBeLessThan(USERS);
  expect(run).toMatchObject({
    photoSyncActive: true,
    users: USERS,
    photos: { ...ZERO, added: withPhoto.length, noPhoto: USERS - withPhoto.length },
  });

  const served = await servedPhotos(ids);
  for (const id of ids) {
    const expected = simPhotos.get(id)!;
    const photo = served.get(id)!;
    if (expected === null) {
      expect({ id, status: photo.status }).toEqual({ id, status: 404 });
      expect(JSON.parse(photo.bytes.toString('utf8'))).toEqual({
        error: { code: 'photoNotFound', message: expect.any(String) },
      });
      continue;
    }
    expect({ id, status: photo.status, etag: photo.etag }).toEqual({
      id,
      status: 200,
      etag: `"${sha256(expected.bytes)}"`,
    });
    expect(photo.bytes.equals(expected.bytes)).toBe(true);
  }
  const first = withPhoto[0];
  const typed = await host.api(`users/${first}/photo`);
  expect(typed.headers.get('content-type')).toBe(simPhotos.get(first)!.contentType);
  const revalidated = await host.api(`users/${first}/photo`, {
    headers: { 'If-None-Match': served.get(first)!.etag! },
  });
  expect(revalidated.status).toBe(304);
  expect(revalidated.headers.get('etag')).toBe(served.get(first)!.etag);
  expect((await revalidated.arrayBuffer()).byteLength).toBe(0);
  etagsBefore = new Map([...served].map(([id, photo]) => [id, photo.etag]));
});

test('a changed and a removed photo: only those two change, and their logs say so', async () => {
  const [changed, removed] = withPhoto;
  await json(await host.sim(`users/${changed}/photo`, { method: 'POST', body: { action: 'change' } }));
  await json(await host.sim(`users/${removed}/photo`, { method: 'POST', body: { action: 'remove' } }));
  const previousRun = (await photoLog(changed))[0].runId;

  const run = await host.runSync();

  expect(run.photos).toEqual({
    ...ZERO,
    updated: 1,
    removed: 1,
    unchanged: withPhoto.length - 2,
    noPhoto: USERS - withPhoto.length,
  });
  const served = await servedPhotos(ids);
  const newBytes = (await simPhoto(changed))!.bytes;
  expect(served.get(changed)).toMatchObject({ status: 200, etag: `"${sha256(newBytes)}"` });
  expect(served.get(changed)!.etag).not.toBe(etagsBefore.get(changed));
  expect(served.get(changed)!.bytes.equals(newBytes)).toBe(true);
  expect(served.get(removed)!.status).toBe(404);
  for (const id of ids.filter((id) => id !== changed && id !== removed))
    expect({ id, etag: served.get(id)!.etag }).toEqual({ id, etag: etagsBefore.get(id) });

  expect((await photoLog(changed)).map(({ runId, result }) => ({ runId, result }))).toEqual([
    { runId: run.runId, result: 'updated' },
    { runId: previousRun, result: 'added' },
  ]);
  expect((await photoLog(removed)).map(({ runId, result }) => ({ runId, result }))).toEqual([
    { runId: run.runId, result: 'removed' },
    { runId: previousRun, result: 'added' },
  ]);
  expect(await json(await host.api(`users/${removed}`))).toMatchObject({
    photo: { status: 'none', sha256: null, lastResult: 'removed' },
  });
  etagsBefore = new Map([...served].map(([id, photo]) => [id, photo.etag]));
});

test('toggled off: stored photos stay as they are and not one photo request is sent', async () => {
  const settings = await host.api('settings', {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ syncUserPhotos: false }),
  });
  expect(await json(settings)).toMatchObject({
    userPhotos: true,
    syncUserPhotos: false,
    photoSyncActive: false,
  });
  // A change the run would pick up if it looked at photos at all.
  const bait = withPhoto[2];
  await json(await host.sim(`users/${bait}/photo`, { method: 'POST', body: { action: 'change' } }));
  await json(await host.sim('counters/reset', { method: 'POST' }));

  const run = await host.runSync();

  // A delta round after the first listing names only who changed: nobody here.
  expect(run).toMatchObject({ photoSyncActive: false, users: 0, photos: ZERO });
  expect(await photoRequests()).toBe(0);
  const served = await servedPhotos(ids);
  for (const id of ids) expect({ id, etag: served.get(id)!.etag }).toEqual({ id, etag: etagsBefore.get(id) });
  expect(await json(await host.api(`users/${bait}`))).toMatchObject({
    photo: { status: 'present', lastResult: 'unchanged' },
  });
});

test('SIGINT stops the host cleanly: exit code 0, "Stopped.", Azurite gone, no token printed', async () => {
  const azuritePorts = host.azuritePorts;

  const exit = await host.stop('SIGINT');

  expect(exit).toEqual({ code: 0, signal: null });
  expect(host.output).toContain('Stopped.');
  expect(host.output).not.toContain(host.token);
  for (const port of azuritePorts) {
    const refused = await portRefused(port);
    expect({ port, refused }).toEqual({ port, refused: true });
  }
});
