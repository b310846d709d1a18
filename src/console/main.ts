import { byId } from './dom.js';
import { HealthView } from './healthView.js';
import { RUN_HASH } from './runLink.js';
import { RunsView } from './runsView.js';
import { RunView } from './runView.js';
import { SettingsView } from './settingsView.js';
import { UsersView } from './usersView.js';

/**
 * The admin console: one page, four parts. `#user/<id>` shows one user's page in place of the
 * user list, `#run/<id>` one run in place of the runs table, so the browser's back button and a
 * shared link both work.
 */
const users = new UsersView();
const run = new RunView();
const health = new HealthView();
const runs = new RunsView(() => {
  void users.list(false);
  void health.load();
});
const settings = new SettingsView({
  onSaved: () => void health.load(),
  onRunStarted: () => void runs.load(),
});

byId('use-current').addEventListener('click', () => settings.useCurrent());
byId('keep-mine').addEventListener('click', () => void settings.keepMine());
byId('refresh-health').addEventListener('click', () => void health.load());

function route(): void {
  const match = /^#user\/(.+)$/.exec(window.location.hash);
  byId('users-list-view').hidden = match !== null;
  byId('user-view').hidden = match === null;
  if (match !== null) void users.open(decodeURIComponent(match[1]));
  const runMatch = RUN_HASH.exec(window.location.hash);
  byId('runs-list-view').hidden = runMatch !== null;
  byId('run-view').hidden = runMatch === null;
  if (runMatch === null) run.close();
  else void run.open(decodeURIComponent(runMatch[1]));
}

window.addEventListener('hashchange', route);
route();
void settings.load();
void runs.load();
void users.list(false);
void health.load();
