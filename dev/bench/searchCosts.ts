/**
 * `npm run bench:search -- --users N`: what `GET /api/users?search=` costs once N users are
 * indexed, in the local Azurite: storage requests and time per search, for searches that find one
 * user, a few and many. The identity records and the index are written by the app's own
 * IdentityStore, as a run writes them; searches run through the app's own searchUsers.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { TableClient } from '@azure/data-tables';
import type { DirectoryUser } from '../../src/graph/DirectoryUser';
import { chunks } from '../../src/domain/chunks';
import { normalizeSearchText } from '../../src/domain/SearchTerms';
import { USERS_PAGE_SIZE } from '../../src/graph/listUserPages';
import { IdentityStore } from '../../src/storage/IdentityStore';
import { TABLES } from '../../src/storage/StorageNames';
import { searchUsers } from '../../src/storage/UserSearch';
import { UserSearchIndex } from '../../src/storage/UserSearchIndex';
import { Azurite } from '../azurite/Azurite';
import { StorageOpCounter } from './StorageOpCounter';

const GIVEN = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'John', 'Margaret', 'Tim'];
const SAMPLES = 20;

/** Surnames are unique (`Person<n>`), given names shared by a tenth of the tenant each. */
function user(index: number): DirectoryUser {
  const given = GIVEN[index % GIVEN.length];
  const surname = `Person${index}`;
  const local = `${given}.${surname}`.toLowerCase();
  return {
    id: randomUUID(),
    displayName: `${given} ${surname}`,
    givenName: given,
    surname,
    mail: `${local}@contoso.example`,
    userPrincipalName: `${local}@contoso.example`,
    accountEnabled: true,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { users: { type: 'string', default: '10000' } }, strict: true });
  const count = Number(values.users);
  if (!Number.isInteger(count) || count < 100)
    throw new Error(`--users must be an integer ≥ 100, got ${values.users}`);
  const azurite = await Azurite.start();
  const counter = new StorageOpCounter(azurite.ports);
  try {
    const table = (name: string): TableClient =>
      TableClient.fromConnectionString(azurite.connectionString, name, { allowInsecureConnection: true });
    const [users, search] = [table(TABLES.users), table(TABLES.userSearch)];
    await Promise.all([users.createTable(), search.createTable()]);
    const index = new UserSearchIndex(search);
    const identities = new IdentityStore(users, index);
    const started = Date.now();
    for (const page of chunks(
      Array.from({ length: count }, (_, i) => user(i)),
      USERS_PAGE_SIZE,
    ))
      await identities.upsertCoreAttributes(page, new Date());
    process.stdout.write(`indexed ${count} users in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    const third = Math.floor(count / 3);
    const queries = [
      ['one user (a unique surname)', `person${Math.floor(count / 2)}`],
      ['one user (UPN start)', `${GIVEN[third % GIVEN.length].toLowerCase()}.person${third}@`],
      ['a page of 50 of ~N/10 (a shared given name)', 'grace'],
      ['a page of 50 of all N (one letter)', 'p'],
      ['nobody', 'zzz'],
    ];
    const rows = [];
    for (const [what, query] of queries) {
      counter.take();
      const t0 = process.hrtime.bigint();
      let found = 0;
      for (let sample = 0; sample < SAMPLES; sample++)
        found = (await searchUsers(index, identities, { search: normalizeSearchText(query), top: 50 })).users
          .length;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6 / SAMPLES;
      const ops = counter.take();
      rows.push({
        search: what,
        query,
        found,
        'ms/search': Math.round(ms * 10) / 10,
        'index queries/search': (ops.tableOpsByTarget[TABLES.userSearch] ?? 0) / SAMPLES,
        'record reads/search': (ops.tableOpsByTarget[TABLES.users] ?? 0) / SAMPLES,
      });
    }
    console.table(rows);
  } finally {
    counter.close();
    await azurite.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
