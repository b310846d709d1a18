import { TestEnvironment } from '../helpers/TestEnvironment';
import { OutboundRequests } from '../helpers/OutboundRequests';
import {
  expectHealedByCleanRun,
  tenantUserIds,
  usersWithPhoto,
  usersWithoutPhoto,
} from '../helpers/Invariants';
import { healthHandler } from '../../src/functions/health';
import { usersHandler } from '../../src/functions/users';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { userPhotoLogHandler } from '../../src/functions/userPhotoLog';
import { runsHandler } from '../../src/functions/runs';
import { settingsHandler } from '../../src/functions/settings';
import { describeConfig } from '../../src/config/AppConfig';

/**
 * docs/design.md, "Logs" and "Privacy": the photo container is private, no log line carries a
 * token, secret, connection string or photo byte, and the app talks to nobody but Graph's root and
 * its own storage account. One environment, watched from its first request: full runs with faults
 * on the way (so error paths log too) and the API's read routes.
 */

let t: TestEnvironment;
const requests = new OutboundRequests();
/** Every photo Graph served during the file, including the bad data, so none of it may be logged. */
const servedPhotos: Buffer[] = [];

beforeAll(async () => {
  requests.start();
  t = await TestEnvironment.start({ userCount: 30 });
  await t.setSettings(true, true);
  const withPhoto = usersWithPhoto(t);
  for (const userId of withPhoto) servedPhotos.push(t.tenant.photoOf(userId)!.bytes);
  // Error paths log too: a permission problem, a server error, a truncated and a non-image photo.
  t.sim.faults.permissionDenied = new Set([withPhoto[0]]);
  t.sim.faults.errorFor.set(withPhoto[1], { status: 500, code: 'InternalServerError' });
  t.sim.faults.truncateBodyFor = new Set([withPhoto[2]]);
  t.sim.faults.throttle.set(withPhoto[3], 1);
  const notAnImage = Buffer.from('%PDF-1.7 secret-looking document body');
  t.tenant.setPhoto(withPhoto[4], notAnImage, 'image/jpeg');
  servedPhotos.push(notAnImage);
  await t.runSync();
  t.sim.resetFaults();
  t.tenant.changePhoto(withPhoto[4]);
  t.tenant.changePhoto(withPhoto[5]);
  servedPhotos.push(t.tenant.photoOf(withPhoto[4])!.bytes, t.tenant.photoOf(withPhoto[5])!.bytes);
  await expectHealedByCleanRun(t);
  // The read API, as an admin portal uses it.
  const someone = withPhoto[6];
  for (const [handler, path, params] of [
    [settingsHandler, 'settings', {}],
    [runsHandler, 'runs', {}],
    [usersHandler, 'users?top=5', {}],
    [usersHandler, `users/${someone}`, { userId: someone }],
    [userPhotoHandler, `users/${someone}/photo`, { userId: someone }],
    [userPhotoLogHandler, `users/${someone}/photo/log`, { userId: someone }],
    [healthHandler, 'health', {}],
  ] as Array<[typeof settingsHandler, string, Record<string, string>]>) {
    await t.http(handler, { method: 'GET', path, params });
  }
  requests.stop();
}, 60_000);

afterAll(async () => {
  requests.stop();
  await t.stop();
});

describe('outbound requests', () => {
  test('go only to the Graph root (https) and the storage account', () => {
    const graph = new URL(t.sim.baseUrl);
    const storage = [t.azurite.ports.blob, t.azurite.ports.queue, t.azurite.ports.table].map(
      (port) => `127.0.0.1:${port}`,
    );
    const allowed = new Set([`${graph.hostname}:${graph.port}`, ...storage]);
    const seen = requests.hostPorts();
    expect([...seen].filter((hostPort) => !allowed.has(hostPort))).toEqual([]);
    // All of them were used: the check above saw the real traffic, not an empty list.
    expect([...seen].sort()).toEqual([...allowed].sort());
    // Graph only over https, and only under its root.
    const graphRequests = requests.requests.filter(
      (request) => request.hostPort === `${graph.hostname}:${graph.port}`,
    );
    expect(graphRequests.length).toBeGreaterThan(t.tenant.count);
    for (const request of graphRequests) {
      expect(request.protocol).toBe('https:');
      expect(request.path.startsWith(`${graph.pathname}/`)).toBe(true);
    }
    // Graph is only read: GET, and POST for $batch (whose items are GETs).
    expect(
      new Set(
        graphRequests.map(
          (request) =>
            `${request.method} ${request.path.startsWith(`${graph.pathname}/$batch`) ? '$batch' : 'read'}`,
        ),
      ),
    ).toEqual(new Set(['GET read', 'POST $batch']));
  });
});

describe('logs', () => {
  function allLogText(): string {
    return t.logs.map((line) => line.message).join('\n');
  }

  test('captured every line of full runs, errors included', () => {
    const events = new Set(t.logEvents().map((entry) => entry.event));
    for (const event of ['runStarted', 'photoResult', 'permissionProblem', 'runSummary', 'settingsChanged'])
      expect([event, events.has(event)]).toEqual([event, true]);
    expect(t.logs.length).toBeGreaterThan(2 * t.tenant.count);
  });

  test('carry no token, secret or connection string', () => {
    const text = allLogText();
    const accountKey = /AccountKey=([^;]+)/.exec(t.env.AzureWebJobsStorage)![1];
    for (const secret of [t.sim.token, t.env.AzureWebJobsStorage, accountKey, accountKey.slice(0, 16)]) {
      expect(text.includes(secret)).toBe(false);
    }
    for (const marker of [
      /Bearer\s/i,
      /AccountKey/i,
      /SharedKey/i,
      /authorization/i,
      /[?&]sig=/i,
      /client_secret/i,
      /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/,
    ]) {
      expect([String(marker), marker.test(text)]).toEqual([String(marker), false]);
    }
  });

  test('carry no photo byte, in any encoding', () => {
    const text = allLogText();
    for (const bytes of servedPhotos) {
      const base64 = bytes.toString('base64');
      const hex = bytes.toString('hex');
      for (const fragment of [
        base64.slice(0, 24),
        base64.slice(24, 48),
        hex.slice(0, 32),
        hex.slice(32, 64),
        bytes.subarray(0, 12).toString('latin1'),
        bytes.subarray(16, 28).toString('latin1'),
      ]) {
        if (fragment.length >= 8) expect(text.includes(fragment)).toBe(false);
      }
    }
    // Image signatures, raw or as printed Buffers, and base64 of JPEG/PNG headers.
    for (const marker of [
      '<Buffer',
      'ff d8 ff',
      '89 50 4e 47',
      '\u00ff\u00d8\u00ff',
      '\u0089PNG',
      '/9j/',
      'iVBORw0KGgo',
      '%PDF',
    ])
      expect([marker, text.includes(marker)]).toEqual([marker, false]);
  });

  test('start-up describes the credential without its value', () => {
    const description = JSON.stringify(describeConfig(t.services.config));
    expect(description).toContain('GRAPH_ACCESS_TOKEN (set)');
    expect(description.includes(t.sim.token)).toBe(false);
    expect(description).not.toMatch(/AccountKey/);
  });

  test('the anonymous health route reveals reachability and the schedule, nothing personal', async () => {
    const response = await t.http(healthHandler, { method: 'GET', path: 'health' });
    expect(response.jsonBody).toEqual({
      status: 'healthy',
      storage: { reachable: true },
      graph: { reachable: true, problem: null },
      schedule: {
        expression: '0 0 */4 * * *',
        nextRunAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/),
      },
    });
  });
});

describe('the photo container', () => {
  test('refuses anonymous reads, while the app with its key reads the same blob', async () => {
    const userId = usersWithPhoto(t)[7];
    const base = `http://127.0.0.1:${t.azurite.ports.blob}/devstoreaccount1/user-photos`;
    const blob = await fetch(`${base}/${userId}`);
    const body = Buffer.from(await blob.arrayBuffer());
    expect([403, 404, 409]).toContain(blob.status);
    expect(body.includes(t.tenant.photoOf(userId)!.bytes.subarray(0, 64))).toBe(false);
    const listing = await fetch(`${base}?restype=container&comp=list`);
    expect([403, 404, 409]).toContain(listing.status);
    expect(await listing.text()).not.toContain(userId);
    // The key works: the refusal is about anonymity, not a wrong URL.
    expect((await t.services.photoBlobs.read(userId))?.bytes.equals(t.tenant.photoOf(userId)!.bytes)).toBe(
      true,
    );
    expect((await t.services.storage.photoContainer.getAccessPolicy()).blobPublicAccess).toBeUndefined();
  });

  test('holds only blobs named by user object ids', async () => {
    const ids = new Set(tenantUserIds(t));
    for await (const name of t.services.photoBlobs.names()) expect(ids.has(name)).toBe(true);
    expect(usersWithoutPhoto(t).length).toBeGreaterThan(0);
  });
});
