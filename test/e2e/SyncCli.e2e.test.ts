import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliScript, lastLine, runCli, type CliResult } from '../helpers/SyncCliProcess';
import { TestEnvironment } from '../helpers/TestEnvironment';
import { runsHandler } from '../../src/functions/runs';
import type { Run } from '../../src/domain/Run';

/**
 * `npm run sync` as a user runs it: the built CLI in its own process, against this test's Azurite
 * and Graph simulator (configured through the environment, as a real tenant would be).
 */

const USERS = 30;

let t: TestEnvironment;
let scratch: string;

beforeAll(async () => {
  if (!existsSync(cliScript))
    throw new Error(
      `${cliScript} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
    );
  t = await TestEnvironment.start({ userCount: USERS });
  scratch = mkdtempSync(join(tmpdir(), 'sync-cli-'));
  writeFileSync(join(scratch, 'simulator-ca.pem'), t.sim.caCertPem);
});

afterAll(async () => {
  await t?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

afterEach(() => {
  t.sim.resetFaults();
});

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, {
    ...process.env,
    ...t.env,
    // The simulator's self-signed certificate, trusted the way any Node process can be told to.
    NODE_EXTRA_CA_CERTS: join(scratch, 'simulator-ca.pem'),
    AZURE_CLIENT_ID: '',
    AZURE_CLIENT_SECRET: '',
    AZURE_CLIENT_CERTIFICATE_PATH: '',
  });
}

async function runAsApiReturnsIt(runId: string): Promise<string> {
  const response = await t.http(runsHandler, { method: 'GET', path: `runs/${runId}`, params: { runId } });
  expect(response.status).toBe(200);
  return JSON.stringify(response.jsonBody);
}

function photoRequests(): number {
  const c = t.sim.counters;
  return c.batchItems + c.directMetadata + c.directValue;
}

test('--help prints the usage and exits 0; an unknown option exits 2', async () => {
  const help = await cli(['--help']);
  expect(help).toMatchObject({ code: 0, stdout: expect.stringContaining('--json') });

  const wrong = await cli(['--jsn']);
  expect(wrong.code).toBe(2);
  expect(wrong.stderr).toContain("Unknown option '--jsn'");
});

test('photo sync off: it says so, syncs core attributes, sends no photo request; --json ends with the run as the API returns it', async () => {
  t.sim.resetCounters();

  const result = await cli(['--json']);

  expect(result.code).toBe(0);
  expect(result.stderr).toContain('photo sync is off: set userPhotos and syncUserPhotos');
  const run = JSON.parse(lastLine(result.stdout)) as Run;
  expect(lastLine(result.stdout)).toBe(await runAsApiReturnsIt(run.runId));
  expect(run).toMatchObject({
    status: 'completed',
    photoSyncActive: false,
    users: USERS,
    photos: { added: 0, updated: 0, unchanged: 0, removed: 0, noPhoto: 0, failed: 0 },
  });
  expect(result.stdout).toMatch(new RegExp(`users\\s+${USERS}\\n`));
  expect(photoRequests()).toBe(0);
  expect((await t.services.identities.get(t.tenant.userAt(0).id))?.displayName).toBe(
    t.tenant.userAt(0).displayName,
  );
  expect(result.stdout + result.stderr).not.toContain(t.sim.token);
});

test('photo sync on, one user denied: the run completes (exit 0), the summary names the error code and the user', async () => {
  await t.setSettings(true, true);
  const ids = Array.from({ length: USERS }, (_, index) => t.tenant.userAt(index).id);
  const withPhoto = ids.filter((id) => t.tenant.photoOf(id) !== null);
  const denied = t.tenant.userAt(ids.indexOf(withPhoto[0]));
  t.sim.faults.permissionDenied = new Set([denied.id]);

  const result = await cli(['--json']);

  expect(result.code).toBe(0);
  const run = JSON.parse(lastLine(result.stdout)) as Run;
  expect(run).toMatchObject({ status: 'completed', photoSyncActive: true, users: USERS });
  expect(run.photos).toEqual({
    added: withPhoto.length - 1,
    updated: 0,
    unchanged: 0,
    removed: 0,
    noPhoto: USERS - withPhoto.length,
    failed: 1,
  });
  expect(result.stdout).toMatch(/permissionDenied\s+1\s/);
  expect(result.stdout).toContain(denied.userPrincipalName);
  const stored = await t.services.photoBlobs.read(withPhoto[1]);
  expect(stored?.bytes.equals(t.tenant.photoOf(withPhoto[1])!.bytes)).toBe(true);
});

test('a run that fails (Graph rejects the token while listing) exits 1 with status failed', async () => {
  t.sim.faults.tokenRejected = true;

  const result = await cli(['--json']);

  expect(result.code).toBe(1);
  const run = JSON.parse(lastLine(result.stdout)) as Run;
  expect(run).toMatchObject({ status: 'failed', error: { code: 'listUsersFailed' } });
  expect(result.stdout).toContain('error: listUsersFailed');
});
