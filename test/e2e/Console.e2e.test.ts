import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { getServices } from '../../src/app/AppServices';
import { newRunId } from '../../src/domain/Run';
import { startRun } from '../../src/sync/startRun';
import { SyncLog } from '../../src/sync/SyncLog';
import { InProcessHost } from '../helpers/InProcessHost';

/**
 * The admin console in a real Chromium (Debian's package), against `npm start`'s stack in this
 * process: an admin turns photo sync on, saves and runs, watches the run finish, finds a user by
 * name and sees their photo and log; a change made elsewhere meanwhile (412) keeps their edits;
 * all of it with the keyboard alone too. The page makes no request to another origin and logs no
 * error. It takes the screenshots of docs/ (see `docs` below).
 */

jest.mock(
  '@azure/functions-core',
  () =>
    (
      require('../helpers/FunctionsCoreStandIn') as typeof import('../helpers/FunctionsCoreStandIn')
    ).functionsCoreStandIn(),
  { virtual: true },
);

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const projectRoot = resolve(__dirname, '..', '..');
/**
 * `UPDATE_SCREENSHOTS=1` writes the screenshots into docs/ (commit them); otherwise they go to a
 * temporary folder, so that a test run leaves the working tree as it was.
 */
const docs =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(projectRoot, 'docs')
    : join(tmpdir(), 'entra-photo-sync-console');
const builtConsole = join(projectRoot, 'dist', 'src', 'console', 'main.js');
const USERS = 40;
const RUN_TIMEOUT_MS = 30_000;

const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  if (process.env.CI === 'true')
    throw new Error(`${CHROMIUM} is missing: .ci/run installs Debian's chromium`);
  console.log(`Console browser tests skipped: ${CHROMIUM} is not installed (apt-get install chromium).`);
}
const describeInBrowser = hasChromium ? describe : describe.skip;

interface ApiUser {
  id: string;
  displayName: string | null;
  userPrincipalName: string | null;
  photo: { status: string };
}

describeInBrowser('the admin console in Chromium', () => {
  let host: InProcessHost;
  let browser: Browser;
  let page: Page;
  const consoleErrors: string[] = [];
  const requested: string[] = [];
  const refused: string[] = [];

  async function openPage(): Promise<Page> {
    const opened = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    opened.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    opened.on('pageerror', (error) => consoleErrors.push(`page error: ${error.message}`));
    opened.on('request', (request) => void requested.push(request.url()));
    opened.on('response', (response) => {
      if (response.status() >= 400)
        refused.push(
          `${response.request().method()} ${new URL(response.url()).pathname} ${response.status()}`,
        );
    });
    await opened.goto(`${host.origin}/api/admin`);
    await opened.locator('#photo-sync-state:not(:text("Loading"))').waitFor();
    return opened;
  }

  beforeAll(async () => {
    if (!existsSync(builtConsole))
      throw new Error(`${builtConsole} does not exist: run \`npm run build\` first (\`npm test\` does).`);
    mkdirSync(docs, { recursive: true });
    host = await InProcessHost.start({ users: USERS });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
    page = await openPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.stop();
  });

  test('the page is served with a strict Content-Security-Policy', async () => {
    const response = await fetch(`${host.origin}/api/admin`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)/);
    expect(html).not.toMatch(/\sstyle=|<style/);
  });

  test('turn both toggles on, Save, then Save and run: the run is followed live to completed', async () => {
    const userPhotos = page.getByRole('switch', { name: 'User Photos', exact: true });
    const syncUserPhotos = page.getByRole('switch', { name: 'Sync user photos', exact: true });
    expect(await userPhotos.isChecked()).toBe(false);
    expect(await syncUserPhotos.isChecked()).toBe(false);
    const caption = await syncUserPhotos.evaluate(
      (element) => document.getElementById(element.getAttribute('aria-describedby') ?? '')?.textContent,
    );
    expect(caption?.replace(/\s+/g, ' ').trim()).toBe(
      'When enabled, the User Photos setting must be on for the photos to be synced.',
    );
    const state = page.locator('#photo-sync-state');
    expect(await state.textContent()).toContain('turn on User Photos and Sync user photos');

    await userPhotos.check();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.locator('#settings-message:text("Saved.")').waitFor();
    expect(await state.textContent()).toContain('Photo sync is off: turn on Sync user photos');
    expect(await host.api('settings')).toMatchObject({ userPhotos: true, syncUserPhotos: false });

    let navigations = 0;
    page.on('framenavigated', () => navigations++);
    await syncUserPhotos.check();
    await page.getByRole('button', { name: 'Save and run' }).click();
    const runs = page.getByRole('table', { name: 'Runs' });
    const newest = runs.locator('tbody tr').first();
    const seen: string[] = [];
    let progressShown = false;
    const deadline = Date.now() + RUN_TIMEOUT_MS;
    for (;;) {
      const status = (await newest.getAttribute('data-status')) ?? 'none';
      if (seen.at(-1) !== status) seen.push(status);
      if (status === 'running' && (await newest.locator('progress').count()) > 0) progressShown = true;
      if (status === 'completed' || status === 'failed') break;
      if (Date.now() > deadline) throw new Error(`the run did not finish: ${seen.join(' → ')}`);
      await page.waitForTimeout(50);
    }
    expect(seen.filter((status) => status !== 'none')).toEqual(['running', 'completed']);
    expect(progressShown).toBe(true);
    expect(navigations).toBe(0);
    expect(await state.textContent()).toContain('Photo sync is on');
    const cells = await newest.locator('td').allTextContents();
    expect(cells[1]).toBe('manual');
    expect(Number(cells[4])).toBe(USERS);
    expect(Number(cells[5])).toBeGreaterThan(0); // added
    await page.locator('#settings').screenshot({ path: join(docs, 'console-settings.png') });
    await page.locator('#runs-section').screenshot({ path: join(docs, 'console-runs.png') });
  });

  test('search finds a user by the start of a word of their name; their page shows photo and log', async () => {
    const { users } = await host.api<{ users: ApiUser[] }>('users?top=500');
    const target = users.find(
      (user) => user.photo.status === 'present' && (user.displayName ?? '').includes(' '),
    );
    if (target === undefined) throw new Error('the demo tenant has no user with a photo and a two-word name');
    const surname = (target.displayName ?? '').split(' ').at(-1) ?? '';
    const query = surname.slice(0, 4).toLowerCase();
    const expected = users.filter((user) =>
      (user.displayName ?? '')
        .toLowerCase()
        .split(/\s+/)
        .some((word) => word.startsWith(query)),
    );
    expect(expected.length).toBeLessThan(users.length);

    await page.getByRole('searchbox', { name: 'Search users' }).fill(query);
    const list = page.locator('#user-list');
    await page.waitForFunction(
      (count) => document.querySelectorAll('#user-list li').length === count,
      expected.length,
    );
    const names = await list.locator('li a').allTextContents();
    expect(names.sort()).toEqual(expected.map((user) => user.displayName).sort());
    const thumbnail = list.getByRole('img', { name: `Photo of ${target.displayName}` });
    await thumbnail.waitFor();
    // Thumbnails are shown at 96×96 whatever size the API serves.
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('#user-list img')].every(
        (img) => img.complete && img.naturalWidth > 0 && img.width === 96 && img.height === 96,
      ),
    );
    await page.locator('#users').screenshot({ path: join(docs, 'console-users.png') });

    await list.getByRole('link', { name: target.displayName ?? '' }).click();
    await page.getByRole('heading', { name: target.displayName ?? '' }).waitFor();
    const photo = page.locator('#user-page').getByRole('img', { name: `Photo of ${target.displayName}` });
    await photo.waitFor();
    await page.waitForFunction(() =>
      [...document.querySelectorAll<HTMLImageElement>('#user-page img')].every(
        (img) => img.complete && img.naturalWidth > 0,
      ),
    );
    expect(await page.locator('#user-page').textContent()).toContain(target.userPrincipalName ?? '');
    const log = page.getByRole('table', { name: 'Photo log' });
    expect(await log.locator('tbody tr').first().locator('td').nth(2).textContent()).toBe('added');
    await page.locator('#users').screenshot({ path: join(docs, 'console-user.png') });
    await page.getByRole('button', { name: 'Back to users' }).click();
    await page.getByRole('searchbox', { name: 'Search users' }).waitFor();
  });

  test('a change made elsewhere meanwhile (412) is shown; the admin’s edit is kept and can be saved over it', async () => {
    await page.reload();
    await page.locator('#photo-sync-state:not(:text("Loading"))').waitFor();
    const syncUserPhotos = page.getByRole('switch', { name: 'Sync user photos', exact: true });
    expect(await syncUserPhotos.isChecked()).toBe(true);
    // Someone else turns User Photos off after this page read the settings.
    await host.api('settings', { method: 'PATCH', body: { userPhotos: false } });
    await syncUserPhotos.uncheck();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByRole('alert').filter({ hasText: 'Changed elsewhere' });
    await conflict.waitFor();
    expect(await conflict.textContent()).toContain('User Photos: now off');
    expect(await conflict.textContent()).toContain('Sync user photos: now on — yours: off');
    expect(await syncUserPhotos.isChecked()).toBe(false);
    expect(await host.api('settings')).toMatchObject({ userPhotos: false, syncUserPhotos: true });
    await page.locator('#settings').screenshot({ path: join(docs, 'console-conflict.png') });

    await page.getByRole('button', { name: 'Save my edits over them' }).click();
    await page.locator('#settings-message:text("Saved.")').waitFor();
    expect(await host.api('settings')).toMatchObject({ userPhotos: false, syncUserPhotos: false });
    expect(await conflict.isVisible()).toBe(false);
    expect(await page.locator('#photo-sync-state').textContent()).toContain(
      'turn on User Photos and Sync user photos',
    );
  });

  test('keyboard alone: every control is labelled, focus is visible, toggles, Save and a user page', async () => {
    const keyboardPage = await openPage();
    const unlabelled = await keyboardPage.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('input, select, button, textarea')]
        .filter((element) => {
          const control = element as HTMLInputElement;
          const name =
            control.labels?.[0]?.textContent ?? element.getAttribute('aria-label') ?? element.textContent;
          return (name ?? '').trim() === '';
        })
        .map((element) => element.id || element.outerHTML),
    );
    expect(unlabelled).toEqual([]);

    const focused = () =>
      keyboardPage.evaluate(() => {
        const element = document.activeElement as HTMLElement | null;
        const style = element === null ? undefined : getComputedStyle(element);
        return {
          id: element?.id ?? '',
          text: element?.textContent?.trim() ?? '',
          outline: style === undefined ? 'none' : `${style.outlineStyle} ${style.outlineWidth}`,
        };
      });
    async function tabTo(match: (at: { id: string; text: string }) => boolean): Promise<void> {
      for (let presses = 0; presses < 40; presses++) {
        await keyboardPage.keyboard.press('Tab');
        const at = await focused();
        if (match(at)) {
          expect(at.outline).not.toMatch(/^none|\s0px$/);
          return;
        }
      }
      throw new Error('Tab never reached the control');
    }

    const userPhotos = keyboardPage.getByRole('switch', { name: 'User Photos', exact: true });
    const before = await userPhotos.isChecked();
    await tabTo((at) => at.id === 'userPhotos');
    await keyboardPage.keyboard.press('Space');
    expect(await userPhotos.isChecked()).toBe(!before);
    await tabTo((at) => at.id === 'save');
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.locator('#settings-message:text("Saved.")').waitFor();
    expect(await host.api('settings')).toMatchObject({ userPhotos: !before });

    const { users } = await host.api<{ users: ApiUser[] }>('users?top=500');
    const target = users.find((user) => user.photo.status === 'present') ?? users[0];
    await tabTo((at) => at.id === 'user-search');
    await keyboardPage.keyboard.type(target.userPrincipalName ?? '');
    await keyboardPage.waitForFunction(() => document.querySelectorAll('#user-list li').length === 1);
    await tabTo((at) => at.text === target.displayName);
    await keyboardPage.keyboard.press('Enter');
    await keyboardPage.getByRole('heading', { name: target.displayName ?? '' }).waitFor();
    expect((await focused()).id).toBe('user-heading');
    await keyboardPage.close();
  });

  test('More adds the next page of older runs while the API has one; a refresh keeps them', async () => {
    // Finished runs from the last hours, as earlier timer runs leave them: more than one page.
    const { runs } = await getServices();
    const hourAgo = Date.now() - 60 * 60_000;
    for (let i = 0; i < 25; i++) {
      const at = new Date(hourAgo - i * 60_000);
      const runId = newRunId(at);
      await runs.create(runId, 'timer', false, at);
      await runs.finishPlanning(runId);
    }
    const all = await host.api<{ runs: Array<{ runId: string }>; next: string | null }>('runs?top=100');
    expect(all.next).toBeNull();
    expect(all.runs.length).toBeGreaterThan(20);
    const ids = all.runs.map((run) => run.runId);
    const shownIds = () =>
      page.locator('#runs-body tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-run-id')));
    const rowsShown = (count: number) =>
      page.waitForFunction((n) => document.querySelectorAll('#runs-body tr').length === n, count);

    await page.reload();
    await rowsShown(20);
    expect(await shownIds()).toEqual(ids.slice(0, 20));
    const more = page.getByRole('button', { name: 'More runs' });
    expect(await more.isVisible()).toBe(true);
    await more.click();
    await rowsShown(ids.length);
    expect(await shownIds()).toEqual(ids);
    expect(await more.isHidden()).toBe(true);

    await page.getByRole('button', { name: 'Refresh runs' }).click();
    await page.locator('#runs:not([aria-busy])').waitFor();
    expect(await shownIds()).toEqual(ids);
  });

  test('Save and run while another run is in progress (409) links to that run’s own view', async () => {
    const services = await getServices();
    const quiet = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };
    // A timer run holds the run slot, its planning not begun: it stays running until closed below.
    const start = await startRun('timer', {
      settings: services.settings,
      runs: services.runs,
      log: new SyncLog(quiet),
    });
    if (start.kind !== 'started') throw new Error(`run ${start.runId} still holds the run slot`);
    const runId = start.run.runId;
    try {
      await page.getByRole('button', { name: 'Save and run' }).click();
      const link = page.locator('#settings-message').getByRole('link', { name: `run ${runId}` });
      await link.waitFor();
      await link.click();
      await page.getByRole('heading', { name: `Run ${runId}` }).waitFor();
      expect(new URL(page.url()).hash).toBe(`#run/${encodeURIComponent(runId)}`);
      expect(await page.locator('#runs-list-view').isHidden()).toBe(true);
      await page.locator('#run-page .status.running').waitFor();
      await page.locator('#runs-section').screenshot({ path: join(docs, 'console-run.png') });
    } finally {
      await services.runs.closeIfStuck(runId, () => ({
        code: 'interrupted',
        message: 'closed by the console test',
      }));
    }
    // The view follows the run while it runs: it shows the run closed, without a reload.
    await page.locator('#run-page .status.failed').waitFor();
    expect(await page.locator('#run-page').textContent()).toContain(
      'interrupted: closed by the console test',
    );
    await page.getByRole('button', { name: 'Back to runs' }).click();
    await page.getByRole('table', { name: 'Runs' }).waitFor();
  });

  test('no console errors, and no request to another origin', () => {
    expect(requested.length).toBeGreaterThan(10);
    expect(requested.filter((url) => new URL(url).origin !== host.origin)).toEqual([]);
    // The refusals are the 412 and the 409 the tests provoked; Chromium echoes them to the console.
    expect(refused).toEqual(['PATCH /api/settings 412', 'POST /api/sync 409']);
    expect(consoleErrors.filter((text) => !/status of (412|409)/.test(text))).toEqual([]);
  });
});
