import { existsSync } from 'node:fs';
import { freePort } from '../../dev/azurite/Azurite';
import type { Run } from '../../src/domain/Run';
import { hostEnv, HostProcess, json, READY_TIMEOUT_MS, startScript } from '../helpers/HostProcess';
import { sha256 } from '../helpers/Invariants';
import { cliScript, lastLine, runCli } from '../helpers/SyncCliProcess';

/**
 * `npm run sync` with nothing configured, as the README's quick start has it: on its own (its own
 * Azurite in memory and demo tenant), and beside a running `npm start` (issue 14, item 7).
 */

const HOST_USERS = 40;
/** Another size than the host's: a run of the CLI's own demo tenant would count these. */
const CLI_USERS = 7;

let host: HostProcess | undefined;

beforeAll(() => {
  for (const script of [startScript, cliScript])
    if (!existsSync(script))
      throw new Error(
        `${script} does not exist: run \`npm run build\` first (\`npm test\` builds before it runs jest).`,
      );
});

afterAll(async () => {
  await host?.stop('SIGKILL');
});

/** Nothing configured: the CLI would start Azurite and the demo tenant, and looks for a host on PORT. */
function unconfigured(port: number): NodeJS.ProcessEnv {
  return { ...hostEnv(port, CLI_USERS, ''), DEMO_GRAPH_TOKEN: '' };
}

test('on a fresh store, plain sync says photo sync is off and how to turn it on; --photos turns it on and syncs photos', async () => {
  const noHost = await freePort();

  const plain = await runCli(['--json'], unconfigured(noHost));

  expect(plain.code).toBe(0);
  expect(plain.stderr).toContain('photo sync is off: set userPhotos and syncUserPhotos');
  expect(plain.stderr).toContain('`npm run sync -- --photos` turns both on');
  expect(JSON.parse(lastLine(plain.stdout))).toMatchObject({ photoSyncActive: false, users: CLI_USERS });

  const photos = await runCli(['--photos', '--json'], unconfigured(noHost));

  expect(photos.code).toBe(0);
  expect(photos.stderr).not.toContain('photo sync is off');
  const run = JSON.parse(lastLine(photos.stdout)) as Run;
  expect(run).toMatchObject({ status: 'completed', photoSyncActive: true, users: CLI_USERS });
  expect(run.photos.added).toBeGreaterThan(0);
  expect(run.photos.added + run.photos.noPhoto).toBe(CLI_USERS);
});

test(
  "beside a running npm start, sync is the host's run: its stores and its demo tenant",
  async () => {
    host = await HostProcess.start({ users: HOST_USERS });

    const result = await runCli(['--photos', '--json'], unconfigured(host.port));

    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`Using the running host at http://127.0.0.1:${host.port}`);
    const run = JSON.parse(lastLine(result.stdout)) as Run;
    expect(run).toMatchObject({ status: 'completed', photoSyncActive: true, users: HOST_USERS });
    // The host's own record of the run, and its settings, are what the CLI did.
    expect(lastLine(result.stdout)).toBe(await (await host.api(`runs/${run.runId}`)).text());
    expect(await json(await host.api('settings'))).toMatchObject({ photoSyncActive: true });
    // The photos the host serves are its demo tenant's.
    const { users } = await json<{ users: Array<{ id: string; photo: { sha256: string | null } }> }>(
      await host.api('users?top=500'),
    );
    const stored = users.filter((user) => user.photo.sha256 !== null);
    expect(stored).toHaveLength(run.photos.added);
    for (const user of stored) {
      const photo = await host.sim(`users/${encodeURIComponent(user.id)}/photo`);
      expect({ id: user.id, sha256: sha256(Buffer.from(await photo.arrayBuffer())) }).toEqual({
        id: user.id,
        sha256: user.photo.sha256,
      });
    }
  },
  READY_TIMEOUT_MS + 30_000,
);

test('beside a host with a run in progress, sync follows that run to its end instead of starting another', async () => {
  if (host === undefined) throw new Error('needs the host of the test before');
  const { users } = await json<{ users: Array<{ id: string }> }>(await host.api('users?top=1'));
  // One photo request held back keeps the host's run in progress while the CLI starts.
  await json(await host.sim('faults', { method: 'POST', body: { stallMs: 8_000, stallFor: [users[0].id] } }));
  const started = await json<{ runId: string }>(
    await host.api('sync', { method: 'POST', headers: { 'Content-Type': 'application/json' } }),
    202,
  );

  const result = await runCli(['--json'], unconfigured(host.port));

  expect(result.code).toBe(0);
  expect(result.stderr).toContain(`Run ${started.runId} is in progress in the host: following it`);
  expect(JSON.parse(lastLine(result.stdout))).toMatchObject({
    runId: started.runId,
    status: 'completed',
    users: HOST_USERS,
  });
  const { runs } = await json<{ runs: Array<{ runId: string }> }>(await host.api('runs'));
  expect(runs).toHaveLength(2);
}, 60_000);
