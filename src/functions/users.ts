import { app, type HttpRequest, type HttpResponseInit } from '@azure/functions';
import { getServices } from '../app/AppServices';
import { isPhotoOutcome, PHOTO_OUTCOMES } from '../domain/PhotoOutcome';
import { HttpError } from '../http/HttpError';
import { handleHttpErrors, requireMethod } from '../http/handleHttpErrors';
import { requireStoredUser } from '../http/requireStoredUser';
import { userView } from '../http/UserView';

const DEFAULT_TOP = 100;
const MAX_TOP = 500;
// Table Storage continuation tokens are base64 text; anything else is not one of ours.
const CONTINUATION = /^[A-Za-z0-9+/=_-]{1,4096}$/;

function listOptions(request: HttpRequest): {
  top: number;
  next?: string;
  result?: (typeof PHOTO_OUTCOMES)[number];
} {
  const topText = request.query.get('top');
  const top = topText === null ? DEFAULT_TOP : Number(topText);
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP)
    throw new HttpError(400, 'invalidTop', `top is a whole number from 1 to ${MAX_TOP}.`);
  const next = request.query.get('next') ?? undefined;
  if (next !== undefined && !CONTINUATION.test(next))
    throw new HttpError(400, 'invalidNext', 'next is the value a previous page returned.');
  const result = request.query.get('result') ?? undefined;
  if (result !== undefined && !isPhotoOutcome(result))
    throw new HttpError(400, 'invalidResult', `result is one of ${PHOTO_OUTCOMES.join(', ')}.`);
  return { top, next, result };
}

async function handleUsers(request: HttpRequest): Promise<HttpResponseInit> {
  requireMethod(request, ['GET']);
  const { identities } = await getServices();
  if (request.params.userId === undefined || request.params.userId === '') {
    const options = listOptions(request);
    let page;
    try {
      page = await identities.list(options);
    } catch (error) {
      if (options.next !== undefined && (error as { statusCode?: number }).statusCode === undefined) {
        throw new HttpError(400, 'invalidNext', 'next is the value a previous page returned.');
      }
      throw error;
    }
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store' },
      jsonBody: { users: page.users.map(userView), next: page.next },
    };
  }
  const user = await requireStoredUser(request, identities);
  return { status: 200, headers: { 'Cache-Control': 'no-store' }, jsonBody: userView(user) };
}

/** `GET /api/users` (paged, `?result=` to find e.g. who failed) and `GET /api/users/{userId}`. */
export const usersHandler = handleHttpErrors(handleUsers);

app.http('users', {
  route: 'users/{userId?}',
  methods: ['GET'],
  authLevel: 'function',
  handler: usersHandler,
});
