import { byId } from './dom.js';
import { HealthView } from './healthView.js';
import { RunsView } from './runsView.js';
import { SettingsView } from './settingsView.js';
import { UsersView } from './usersView.js';

/**
 * The admin console: one page, four parts. `#user/<id>` shows one user's page in place of the
 * user list, so the browser's back button and a shared link both work.
 */
const users = new UsersView();
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
}

window.addEventListener('hashchange', route);
route();
void settings.load();
void runs.load();
void users.list(false);
void health.load();
