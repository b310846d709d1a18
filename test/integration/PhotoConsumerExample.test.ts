import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { HttpServer } from '../../dev/host/HttpServer';
import type { RegisteredFunction } from '../../dev/host/FunctionRegistry';
import { encodeChangeCursor } from '../../src/domain/ChangeCursor';
import { photoChangesHandler } from '../../src/functions/photoChanges';
import { userPhotoHandler } from '../../src/functions/userPhoto';
import { usersHandler } from '../../src/functions/users';
import { usersWithPhoto, usersWithoutPhoto } from '../helpers/Invariants';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * The README's consumer example, docs/photo-consumer.mjs, run as a consumer runs it (its own Node
 * process, over HTTP) against the app's handlers served by the local host's HTTP adapter: what the
 * docs promise a consumer gets, it gets.
 */

const script = resolve(__dirname, '..', '..', 'docs', 'photo-consumer.mjs');
const run = promisify(execFile);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
let t: TestEnvironment;
let server: HttpServer;
let appUrl: string;
let folder: string;

const httpFunction = (name: string, route: string, handler: unknown): RegisteredFunction => ({
  name,
  trigger: { type: 'httpTrigger', name: 'request', route, methods: ['GET'] },
  handler: handler as RegisteredFunction['handler'],
});

async function consume(): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, [script, appUrl, folder], { timeout: 30_000 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines.at(-1)!.replace(/^\S+ /, '')) as Record<string, number>;
}

async function thumbnails(): Promise<Map<string, Buffer>> {
  const files = (await readdir(folder)).filter((name) => name.endsWith('.jpg'));
  return new Map(
    await Promise.all(
      files.map(
        async (name) => [decodeURIComponent(name.slice(0, -4)), await readFile(join(folder, name))] as const,
      ),
    ),
  );
}

async function served96(userId: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/users/${encodeURIComponent(userId)}/photo?size=96`);
  return sha256(Buffer.from(await response.arrayBuffer()));
}

beforeAll(async () => {
  t = await TestEnvironment.start({ userCount: 24 });
  server = new HttpServer(
    [
      httpFunction('users', 'users/{userId?}', usersHandler),
      httpFunction('userPhoto', 'users/{userId}/photo', userPhotoHandler),
      httpFunction('photoChanges', 'photos/changes', photoChangesHandler),
    ],
    () => t.logHandler,
    () => undefined,
  );
  appUrl = `http://127.0.0.1:${await server.listen(0)}`;
  folder = await mkdtemp(join(tmpdir(), 'photo-consumer-'));
  await t.setSettings(true, true);
  await t.runSync();
});

afterAll(async () => {
  await server.close();
  await t.stop();
  await rm(folder, { recursive: true, force: true });
});

test('the first call fetches a 96×96 thumbnail of every stored photo', async () => {
  const withPhoto = usersWithPhoto(t);
  expect(await consume()).toMatchObject({ fetched: withPhoto.length, removed: 0 });
  const files = await thumbnails();
  expect(new Set(files.keys())).toEqual(new Set(withPhoto));
  for (const [userId, bytes] of files) {
    const metadata = await sharp(bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(['jpeg', 96, 96]);
    expect(sha256(bytes)).toBe(await served96(userId));
  }
  expect(await consume()).toEqual({ fetched: 0, kept: 0, removed: 0, skipped: 0 });
});

test('after a run: the changed ones fetched again, the removed one deleted, the rest untouched', async () => {
  const withPhoto = usersWithPhoto(t);
  const [changedA, changedB, removed] = withPhoto;
  const added = usersWithoutPhoto(t)[0];
  t.tenant.changePhoto(changedA);
  t.tenant.changePhoto(changedB);
  t.tenant.removePhoto(removed);
  t.tenant.addPhoto(added);
  const before = await thumbnails();
  await t.runSync();

  expect(await consume()).toMatchObject({ fetched: 3, removed: 1 });
  const after = await thumbnails();
  expect(after.has(removed)).toBe(false);
  for (const userId of [changedA, changedB, added])
    expect(sha256(after.get(userId)!)).toBe(await served96(userId));
  expect(sha256(after.get(changedA)!)).not.toBe(sha256(before.get(changedA)!));
  for (const userId of withPhoto.slice(3)) expect(after.get(userId)).toEqual(before.get(userId));
});

test('an expired cursor: it re-reads every photo, revalidating with its ETags, and follows the feed again', async () => {
  const state = JSON.parse(await readFile(join(folder, 'state.json'), 'utf8')) as { cursor: string };
  state.cursor = encodeChangeCursor({ seq: 0, issuedAt: new Date(Date.now() - 200 * 24 * 60 * 60 * 1000) });
  await writeFile(join(folder, 'state.json'), JSON.stringify(state));
  const counts = await consume();
  // Every stored photo revalidated (304, no bytes), then the whole feed again: all kept.
  expect(counts.fetched).toBe(0);
  expect(counts.kept).toBeGreaterThanOrEqual(usersWithPhoto(t).length);
  expect(new Set((await thumbnails()).keys())).toEqual(new Set(usersWithPhoto(t)));
});
