// A consumer of entra-photo-sync (docs/consumers.md): keeps a folder of 96×96 thumbnails in step
// with the app by following its change feed. Plain Node ≥ 20, no dependencies.
//
//   node docs/photo-consumer.mjs <app url> <folder> [--watch]
//   PHOTO_SYNC_TOKEN=<bearer token>   for an app behind App Service authentication
//
// The folder holds <userId>.jpg per user, and state.json: the feed cursor and each file's ETag.
/* global fetch, URL, Buffer */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const SIZE = 96;
const POLL_SECONDS = 60;
const [appUrl, folder, ...flags] = process.argv.slice(2);
if (!appUrl || !folder) {
  process.stderr.write('usage: node docs/photo-consumer.mjs <app url> <folder> [--watch]\n');
  process.exit(2);
}
const headers = process.env.PHOTO_SYNC_TOKEN ? { Authorization: `Bearer ${process.env.PHOTO_SYNC_TOKEN}` } : {};
const statePath = join(folder, 'state.json');

async function loadState() {
  try {
    return JSON.parse(await readFile(statePath, 'utf8'));
  } catch {
    return { cursor: null, etags: {} };
  }
}

async function get(path, extraHeaders = {}) {
  return fetch(new URL(path, appUrl), { headers: { ...headers, ...extraHeaders } });
}

async function failure(response) {
  const body = await response.json().catch(() => ({}));
  return new Error(`${response.status} ${body.error?.code ?? ''}: ${body.error?.message ?? response.statusText}`);
}

/** Fetches one thumbnail unless the ETag kept still holds; deletes it when the user has no photo. */
async function refresh(state, userId) {
  const file = join(folder, `${encodeURIComponent(userId)}.jpg`);
  const etag = state.etags[userId];
  const response = await get(`/api/users/${encodeURIComponent(userId)}/photo?size=${SIZE}`, etag ? { 'If-None-Match': etag } : {});
  if (response.status === 304) return 'kept';
  if (response.status === 404) {
    await forget(state, userId);
    return 'removed';
  }
  // The stored photo does not decode: nothing to show at this size until it changes.
  if (response.status === 422) return 'skipped';
  if (!response.ok) throw await failure(response);
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
  state.etags[userId] = response.headers.get('etag');
  return 'fetched';
}

async function forget(state, userId) {
  await rm(join(folder, `${encodeURIComponent(userId)}.jpg`), { force: true });
  delete state.etags[userId];
}

/** After a 410: every stored photo again, then the feed from its oldest change. */
async function resync(state) {
  for (let next = null; ; ) {
    const response = await get(`/api/users?top=500${next ? `&next=${encodeURIComponent(next)}` : ''}`);
    if (!response.ok) throw await failure(response);
    const page = await response.json();
    for (const user of page.users) {
      if (user.photo.status === 'present') await refresh(state, user.id);
      else if (state.etags[user.id]) await forget(state, user.id);
    }
    if (!page.next) break;
    next = page.next;
  }
  state.cursor = null;
}

/** Follows the feed until it has nothing new; the cursor is saved after each page is applied. */
async function catchUp(state) {
  const counts = { fetched: 0, kept: 0, removed: 0, skipped: 0 };
  for (;;) {
    const since = state.cursor ? `&since=${encodeURIComponent(state.cursor)}` : '';
    const response = await get(`/api/photos/changes?top=1000${since}`);
    if (response.status === 410) {
      process.stdout.write('cursor expired: re-reading every photo\n');
      await resync(state);
      continue;
    }
    if (!response.ok) throw await failure(response);
    const page = await response.json();
    for (const change of page.changes) {
      if (change.result === 'removed') {
        await forget(state, change.userId);
        counts.removed += 1;
      } else counts[await refresh(state, change.userId)] += 1;
    }
    state.cursor = page.next;
    await writeFile(statePath, JSON.stringify(state));
    if (page.changes.length === 0) return counts;
  }
}

await mkdir(folder, { recursive: true });
const state = await loadState();
for (;;) {
  const counts = await catchUp(state);
  process.stdout.write(`${new Date().toISOString()} ${JSON.stringify(counts)}\n`);
  if (!flags.includes('--watch')) break;
  await sleep(POLL_SECONDS * 1000);
}
