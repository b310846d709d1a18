import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resourcesOfType, snapshotInfra } from '../../dev/infra/InfraSnapshot';
import { REPO_ROOT } from '../../dev/infra/RepoRoot';
import { PHOTO_ERROR_CODES } from '../../src/domain/PhotoError';
import { PHOTO_OUTCOMES } from '../../src/domain/PhotoOutcome';
import { RUN_ERROR_CODES } from '../../src/domain/RunError';
import { bicepForTests } from '../helpers/BicepForTests';
import { usersWithPhoto } from '../helpers/Invariants';
import { TestEnvironment } from '../helpers/TestEnvironment';

/**
 * The KQL of docs/deploy.md and of the alert rules in infra/, checked against the log lines the
 * app really writes: runs against Azurite and the Graph simulator with the faults an operator
 * looks for (a missing permission, throttling, a failed listing), every line captured as the
 * Functions host sends it to Application Insights (the trace's `message`). Each query's events,
 * fields and compared values must occur in those lines, so a renamed field or event fails here.
 */
type Line = Record<string, unknown>;
let messages: string[] = [];
let lines: Line[] = [];

beforeAll(async () => {
  const t = await TestEnvironment.start({ userCount: 30, graphPageSize: 10 });
  try {
    await t.setSettings(true, true);
    const withPhoto = usersWithPhoto(t);
    t.sim.faults.permissionDenied = new Set([withPhoto[0]]);
    // More 429s than the app retries: the user ends failed/throttled.
    t.sim.faults.throttle.set(withPhoto[1], 10);
    await t.runSync();
    t.sim.resetFaults();
    t.tenant.changePhoto(withPhoto[2]);
    t.tenant.removePhoto(withPhoto[3]);
    await t.runSync();
    // A listing that breaks off: the run fails. The stored delta link is refused first, so the
    // run lists every user (3 pages) and breaks off after the first.
    t.sim.faults.deltaTokenExpired = true;
    t.sim.faults.listFailAfterPages = 1;
    await t.runSync();
    // Only what host.json lets through to Application Insights: Information and above.
    messages = t.logs
      .filter((line) => line.level !== 'debug' && line.level !== 'trace')
      .map((line) => line.message);
  } finally {
    await t.stop();
  }
  lines = messages.filter((message) => message.startsWith('{')).map((message) => JSON.parse(message) as Line);
}, 120_000);

interface Query {
  where: string;
  text: string;
}

function kustoBlocks(markdown: string): Query[] {
  return [...markdown.matchAll(/```kusto\n([\s\S]*?)```/g)].map((match, index) => ({
    where: `docs/deploy.md query ${index + 1}`,
    text: match[1],
  }));
}

const quotedList = (text: string): string[] => [...text.matchAll(/"([^"]*)"/g)].map((match) => match[1]);

/** What a query needs of the log lines: the events it selects, the fields it reads, the values it compares. */
function needs(text: string): { events: string[]; fields: string[]; values: Array<[string, string]> } {
  const values: Array<[string, string]> = [];
  for (const match of text.matchAll(/tostring\(e\.(\w+)\)\s*(==|in)\s*(\("[^)]*\)|"[^"]*")/g))
    for (const value of quotedList(match[3])) values.push([match[1], value]);
  const events = values.filter(([field]) => field === 'event').map(([, value]) => value);
  const fields = [...new Set([...text.matchAll(/\be\.(\w+)/g)].map((match) => match[1]))];
  return { events, fields, values: values.filter(([field]) => field !== 'event') };
}

const hostJson = JSON.parse(readFileSync(join(REPO_ROOT, 'host.json'), 'utf8')) as {
  logging: { logLevel: Record<string, string> };
};

/** Codes the app can write though these runs did not meet them (a listing refused with 403, a stuck run). */
const KNOWN_CODES = new Set<string>([...PHOTO_ERROR_CODES, ...RUN_ERROR_CODES]);

function checkQuery(query: Query): void {
  if (/^\s*requests\b/.test(query.text)) {
    // The host's invocation rows: there only while Host.Results logs at Information.
    expect(hostJson.logging.logLevel['Host.Results']).toBe('Information');
    return;
  }
  // The shape of a trace sent by the Functions host: the log line is the trace's message.
  expect(query.text).toMatch(/^\s*(\/\/.*\n|let .*\n)*\s*traces\b/);
  expect(query.text).toContain('parse_json(message)');
  const { events, fields, values } = needs(query.text);
  // A filter of alternatives (`… or …`) may reach lines of other events than those it names.
  const alternatives = /\bwhere\b[^\n]*\bor\b/.test(query.text);
  const selected =
    events.length === 0 || alternatives ? lines : lines.filter((line) => events.includes(String(line.event)));
  const seen = (ok: boolean, ...what: string[]): void =>
    expect([query.where, ...what, ok]).toEqual([query.where, ...what, true]);
  for (const event of events)
    seen(
      lines.some((line) => line.event === event),
      'event',
      event,
    );
  for (const field of fields)
    seen(
      selected.some((line) => line[field] !== undefined),
      'field',
      field,
    );
  for (const [field, value] of values)
    seen(
      selected.some((line) => line[field] === value) || (alternatives && KNOWN_CODES.has(value)),
      'value',
      field,
      value,
    );
}

describe('the log lines', () => {
  it('are one JSON object per line, each with its event', () => {
    expect(lines.length).toBeGreaterThan(30);
    for (const line of lines) expect(typeof line.event).toBe('string');
  });

  it('carry every outcome the queries group by, and the throttling and permission errors', () => {
    const results = new Set(lines.map((line) => line.result));
    for (const outcome of ['added', 'updated', 'removed', 'failed'] as const) {
      expect(PHOTO_OUTCOMES).toContain(outcome);
      expect(results).toContain(outcome);
    }
    expect(lines).toContainEqual(expect.objectContaining({ event: 'photoResult', errorCode: 'throttled' }));
    expect(lines).toContainEqual(
      expect.objectContaining({ event: 'permissionProblem', errorCode: 'permissionDenied' }),
    );
    expect(lines).toContainEqual(expect.objectContaining({ event: 'runSummary', status: 'failed' }));
  });
});

describe('docs/deploy.md queries', () => {
  const queries = kustoBlocks(readFileSync(join(REPO_ROOT, 'docs', 'deploy.md'), 'utf8'));

  it('are there', () => {
    expect(queries.length).toBeGreaterThanOrEqual(6);
  });

  it.each(queries.map((query) => [query.where, query]))('%s reads what the app writes', (_where, query) => {
    checkQuery(query);
  });
});

const cli = bicepForTests();
(cli === undefined ? describe.skip : describe)('alert rules of infra/app/alerts.bicep', () => {
  it('query what the app writes, and e-mail the address given', () => {
    const snapshot = snapshotInfra(cli!, join(REPO_ROOT, 'infra', 'main.bicep'), {
      environmentName: 'ci',
      location: 'westeurope',
      alertEmail: 'photo-admins@contoso.example',
    });
    const rules = resourcesOfType(snapshot, 'Microsoft.Insights/scheduledQueryRules');
    expect(rules.map((rule) => rule.properties?.displayName)).toEqual([
      'Photo sync run failed or interrupted',
      'Photo sync run overdue',
    ]);
    for (const rule of rules) {
      const criteria = rule.properties?.criteria as { allOf: Array<{ query: string }> };
      for (const { query } of criteria.allOf)
        checkQuery({ where: String(rule.properties?.displayName), text: query });
    }
    const [group] = resourcesOfType(snapshot, 'Microsoft.Insights/actionGroups');
    expect(group.properties?.emailReceivers).toEqual([
      expect.objectContaining({ emailAddress: 'photo-admins@contoso.example' }),
    ]);
    const overdue = rules.find((rule) => rule.properties?.displayName === 'Photo sync run overdue')!;
    // Every 4 hours by default, plus an hour's margin.
    expect(overdue.properties?.windowSize).toBe('PT5H');
  });

  it('are not deployed without an e-mail address', () => {
    const snapshot = snapshotInfra(cli!, join(REPO_ROOT, 'infra', 'main.bicep'), {
      environmentName: 'ci',
      location: 'westeurope',
    });
    expect(resourcesOfType(snapshot, 'Microsoft.Insights/scheduledQueryRules')).toEqual([]);
  });
});
