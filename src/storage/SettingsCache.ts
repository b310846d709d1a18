import { setTimeout as sleep } from 'node:timers/promises';
import { isPhotoSyncActive } from '../domain/SyncSettings';
import type { SettingsStore } from './SettingsStore';

/**
 * How long a photo job trusts settings read before it started. Short enough that turning photo
 * sync off is waited out in the answer to that change (`waitUntilJobsSeeChange`); long enough that
 * a host running 24 jobs at once reads the settings about once a second instead of once a job.
 */
export const SETTINGS_TRUST_MS = 1000;

/**
 * Whether photo sync is active, as the photo jobs of one process see it: one read that found it
 * on serves every job that starts within `SETTINGS_TRUST_MS` of the moment the read was sent (not
 * answered: storage may have served it any time after). A change that turns photo sync off answers
 * only after that long, so every job that starts after the answer finds the trust of any earlier
 * read expired and reads again. "Off" is never trusted: a job of a run planned after photo sync
 * was turned back on must not skip on an older read, and a job that skips costs no Graph request.
 */
export class SettingsCache {
  private latest: { sentAt: number; active: Promise<boolean> } | undefined;

  constructor(
    private readonly store: Pick<SettingsStore, 'read'>,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  async photoSyncActive(): Promise<boolean> {
    const now = this.clock();
    const latest = this.latest;
    if (latest !== undefined && now - latest.sentAt < SETTINGS_TRUST_MS && (await latest.active)) return true;
    const read = { sentAt: now, active: this.store.read().then(isPhotoSyncActive) };
    this.latest = read;
    // A failed read is not served to later jobs: the next one tries again.
    read.active.catch(() => {
      if (this.latest === read) this.latest = undefined;
    });
    return read.active;
  }
}

/** Called by the change that turned photo sync off, before it answers. */
export async function waitUntilJobsSeeChange(): Promise<void> {
  await sleep(SETTINGS_TRUST_MS);
}
