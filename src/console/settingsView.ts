import { api, ApiError, type Settings } from './api.js';
import { byId, h, show, time } from './dom.js';
import { runLink } from './runLink.js';

/** The run a 409 `runInProgress` names (beside `error` in its body), if that is what it is. */
function runInProgress(body: unknown): string | undefined {
  const refusal = body as { error?: { code?: string }; runId?: unknown } | undefined;
  return refusal?.error?.code === 'runInProgress' && typeof refusal.runId === 'string'
    ? refusal.runId
    : undefined;
}

/** The keys an admin edits here, in the order the page shows them. */
const SWITCHES = ['userPhotos', 'syncUserPhotos'] as const;
const GROUPS = ['photoGroupId', 'photoExcludeGroupId'] as const;
type Key = (typeof SWITCHES)[number] | (typeof GROUPS)[number];
type Edits = Partial<Record<Key, boolean | string | null>>;

const LABELS: Record<Key, string> = {
  userPhotos: 'User Photos',
  syncUserPhotos: 'Sync user photos',
  photoGroupId: 'Only members of this group',
  photoExcludeGroupId: 'Never members of this group',
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Why photo sync is off, in the seed's words, or that it is on. */
export function photoSyncState(settings: Pick<Settings, 'userPhotos' | 'syncUserPhotos'>): string {
  const missing = SWITCHES.filter((key) => !settings[key]).map((key) => LABELS[key]);
  if (missing.length === 0) return 'Photo sync is on: photos are synced in every run.';
  return `Photo sync is off: turn on ${missing.join(' and ')}. No photo is read, written or deleted until both are on.`;
}

const describe = (key: Key, value: unknown): string =>
  SWITCHES.includes(key as (typeof SWITCHES)[number])
    ? value
      ? 'on'
      : 'off'
    : value
      ? String(value)
      : 'every user';

/**
 * The automation's settings: the two switches, the scope groups where the API has them, Save and
 * Save and run. What the admin typed is kept until it is saved, a 412 included.
 */
export class SettingsView {
  private saved: Settings | undefined;
  private etag: string | undefined;
  /** The values the API had when a save was refused with 412, and the admin's edits then. */
  private current: { settings: Settings; etag: string; mine: Edits } | undefined;

  constructor(private readonly on: { onSaved: () => void; onRunStarted: (runId: string) => void }) {
    byId<HTMLFormElement>('settings-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save(false);
    });
    byId('save-and-run').addEventListener('click', () => void this.save(true));
    for (const key of [...SWITCHES, ...GROUPS]) byId(key).addEventListener('input', () => this.showDirty());
  }

  async load(): Promise<void> {
    try {
      const response = await api.get<Settings>('settings');
      this.apply(response.body, response.etag ?? undefined);
    } catch (error) {
      this.message('error', error);
    }
  }

  private apply(settings: Settings, etag: string | undefined): void {
    this.saved = settings;
    this.etag = etag;
    // The scope groups appear where the API has them.
    for (const key of GROUPS) byId(`${key}-field`).hidden = settings[key] === undefined;
    byId('scope').hidden = GROUPS.every((key) => settings[key] === undefined);
    for (const key of SWITCHES) byId<HTMLInputElement>(key).checked = settings[key];
    for (const key of GROUPS) byId<HTMLInputElement>(key).value = settings[key] ?? '';
    show(byId('photo-sync-state'), photoSyncState(settings));
    byId('photo-sync-state').className = settings.photoSyncActive ? 'state on' : 'state off';
    show(
      byId('settings-updated'),
      settings.updatedAt
        ? h(
            'span',
            {},
            'Last saved ',
            time(settings.updatedAt),
            settings.updatedBy ? ` by ${settings.updatedBy}` : '',
          )
        : 'Never saved: the defaults apply.',
    );
    this.showDirty();
  }

  /** What the form holds that differs from the saved settings. */
  private edits(): Edits {
    const saved = this.saved;
    if (saved === undefined) return {};
    const edits: Edits = {};
    for (const key of SWITCHES) {
      const value = byId<HTMLInputElement>(key).checked;
      if (value !== saved[key]) edits[key] = value;
    }
    for (const key of GROUPS) {
      if (saved[key] === undefined) continue;
      const value = byId<HTMLInputElement>(key).value.trim();
      const normalized = value === '' ? null : value.toLowerCase();
      if (normalized !== (saved[key] ?? null)) edits[key] = normalized;
    }
    return edits;
  }

  private showDirty(): void {
    const count = Object.keys(this.edits()).length;
    show(byId('settings-dirty'), count === 0 ? '' : `${count} unsaved change${count === 1 ? '' : 's'}`);
  }

  private invalidGroup(edits: Edits): string | undefined {
    for (const key of GROUPS) {
      const value = edits[key];
      if (typeof value === 'string' && !GUID.test(value))
        return `${LABELS[key]}: enter the group's object id (a GUID such as 3f2504e0-4f89-11d3-9a0c-0305e82c3301), or leave it empty for every user.`;
    }
    return undefined;
  }

  private async save(andRun: boolean): Promise<void> {
    const edits = this.edits();
    const invalid = this.invalidGroup(edits);
    const etag = this.current?.etag ?? this.etag;
    if (invalid !== undefined) return this.message('error', invalid);
    const buttons = [byId<HTMLButtonElement>('save'), byId<HTMLButtonElement>('save-and-run')];
    for (const button of buttons) button.disabled = true;
    try {
      if (Object.keys(edits).length > 0) {
        const response = await api.patch<Settings>('settings', edits, etag);
        this.current = undefined;
        byId('conflict').hidden = true;
        this.apply(response.body, response.etag ?? undefined);
        this.on.onSaved();
      }
      if (!andRun)
        return this.message(
          'ok',
          Object.keys(edits).length > 0 ? 'Saved.' : 'Nothing to save: no setting was changed.',
        );
      const started = await this.startRun();
      if (started !== undefined) {
        this.message(
          'ok',
          `${Object.keys(edits).length > 0 ? 'Saved. ' : ''}Run ${started} started; follow it under Runs.`,
        );
        this.on.onRunStarted(started);
      }
    } catch (error) {
      if (error instanceof ApiError && error.status === 412) await this.conflict();
      else this.message('error', error);
    } finally {
      for (const button of buttons) button.disabled = false;
    }
  }

  private async startRun(): Promise<string | undefined> {
    try {
      return (await api.post<{ runId: string }>('sync')).body.runId;
    } catch (error) {
      const busy = error instanceof ApiError && error.status === 409 ? runInProgress(error.body) : undefined;
      if (busy === undefined) throw error;
      this.message(
        'error',
        h(
          'span',
          {},
          'A run is already in progress: ',
          runLink(busy, `run ${busy}`),
          '. Only one run at a time: start another when it has finished.',
        ),
      );
      this.on.onRunStarted(busy);
      return undefined;
    }
  }

  /**
   * Someone saved the settings since this page read them. The admin's edits stay in the form; the
   * values now saved are shown beside them, to take over or to save over.
   */
  private async conflict(): Promise<void> {
    const response = await api.get<Settings>('settings');
    const current = response.body;
    const mine = this.edits();
    this.current = { settings: current, etag: response.etag ?? '', mine };
    const rows = [...SWITCHES, ...GROUPS]
      .filter((key) => current[key] !== undefined)
      .map((key) =>
        h(
          'li',
          {},
          `${LABELS[key]}: now ${describe(key, current[key])}`,
          key in mine ? ` — yours: ${describe(key, mine[key])}` : '',
        ),
      );
    show(
      byId('conflict-details'),
      h(
        'p',
        {},
        'Someone else saved these settings while you were editing',
        current.updatedBy ? ` (${current.updatedBy}, ` : ' (',
        time(current.updatedAt),
        '). Nothing was saved. Your edits are still in the form.',
      ),
      h('ul', {}, rows),
    );
    byId('conflict').hidden = false;
    byId('use-current').focus();
  }

  /** Takes over the values saved elsewhere, dropping the admin's edits. */
  useCurrent(): void {
    if (this.current === undefined) return;
    this.apply(this.current.settings, this.current.etag);
    this.current = undefined;
    byId('conflict').hidden = true;
    this.message('ok', 'The form now shows the saved settings.');
  }

  /**
   * Saves the admin's edits over the values saved elsewhere: only what the admin changed is
   * applied on top of them, so the other change to other settings stays.
   */
  async keepMine(): Promise<void> {
    if (this.current === undefined) return;
    const { settings, etag, mine } = this.current;
    this.apply(settings, etag);
    for (const [key, value] of Object.entries(mine)) {
      const input = byId<HTMLInputElement>(key);
      if (typeof value === 'boolean') input.checked = value;
      else input.value = value ?? '';
    }
    await this.save(false);
  }

  private message(kind: 'ok' | 'error', content: unknown): void {
    const element = byId('settings-message');
    element.className = `message ${kind}`;
    show(
      element,
      content instanceof Error ? content.message : content instanceof Node ? content : String(content),
    );
  }
}
