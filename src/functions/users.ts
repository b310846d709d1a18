import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { isPhotoOutcome, PHOTO_OUTCOMES } from '../domain/PhotoOutcome';
import { HttpError } from '../http/HttpError';
import { requireReader } from '../http/ClientPrincipal';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { nextQuery, readPage, topQuery } from '../http/PageQuery';
import { requireStoredUser } from '../http/requireStoredUser';
import { searchNext, searchQuery } from '../http/SearchQuery';
import { searchUsers } from '../storage/UserSearch';
import { userViews } from '../http/userViews';
import { storedOutcomesFor } from '../domain/QuietCheck';
import { jsonResponse } from '../http/jsonResponse';

/** Store pages one `?result=` request reads while none of their users has that outcome. */
const RESULT_PAGES_READ = 5;

function listOptions(request: HttpRequest): {
  top: number;
  result?: (typeof PHOTO_OUTCOMES)[number];
  departedOnly?: boolean;
} {
  const top = topQuery(request, { defaultTop: 100, maxTop: 500 });
  const result = request.query.get('result') ?? undefined;
  if (result !== undefined && !isPhotoOutcome(result))
    throw new HttpError(400, 'invalidResult', `result is one of ${PHOTO_OUTCOMES.join(', ')}.`);
  const inDirectory = request.query.get('inDirectory');
  if (inDirectory !== null && inDirectory !== 'false')
    throw new HttpError(
      400,
      'invalidInDirectory',
      'inDirectory=false lists the users who left the directory.',
    );
  return { top, result, departedOnly: inDirectory === 'false' };
}

async function handleUsers(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  requireReader(request);
  const { identities, userSearch, coverage } = await getServices();
  if (request.params.userId === undefined || request.params.userId === '') {
    const options = listOptions(request);
    const search = searchQuery(request);
    // A page filtered by result can hold fewer than top users: the store finds the candidates.
    const stored = { ...options, results: options.result && storedOutcomesFor(options.result) };
    if (search !== undefined) {
      const found = await searchUsers(userSearch, identities, { ...stored, ...search });
      return jsonResponse({
        users: await userViews(found.users, coverage, options.result),
        next: searchNext(search.search, found.after),
      });
    }
    // A search's next is its own cursor (searchQuery); the plain list's is the store's token.
    const next = nextQuery(request);
    let page = await readPage(next, () => identities.list({ ...stored, next }));
    let users = await userViews(page.users, coverage, options.result);
    // Candidates whose later check says otherwise are left out: read on, a few pages at most.
    for (let read = 1; users.length === 0 && page.next !== null && read < RESULT_PAGES_READ; read++) {
      page = await identities.list({ ...stored, next: page.next });
      users = await userViews(page.users, coverage, options.result);
    }
    return jsonResponse({ users, next: page.next });
  }
  const user = await requireStoredUser(request, identities);
  return jsonResponse((await userViews([user], coverage))[0]);
}

/**
 * `GET /api/users` (paged; `?result=` to find e.g. who failed; `?search=` the start of a name, a word
 * of it, a UPN or a mail, from the search index) and `GET /api/users/{userId}`.
 */
export const usersHandler = handleHttpErrors(handleUsers);

app.http('users', {
  route: 'users/{userId?}',
  methods: ['GET'],
  // Anonymous to the host: the handler checks sign-in and app roles (src/http/ClientPrincipal.ts).
  authLevel: 'anonymous',
  handler: usersHandler,
});
