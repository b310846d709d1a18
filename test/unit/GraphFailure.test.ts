import { classifyGraphStatus, retryAfterMs } from '../../src/graph/GraphFailure';

describe('what a Graph answer about a photo means', () => {
  test.each([
    [404, 'ImageNotFound'],
    [404, 'ErrorItemNotFound'],
    [404, 'Request_ResourceNotFound'],
    [400, 'MailboxNotHostedInExchangeOnline'],
  ])('%i %s → the user has no photo', (status, code) => {
    expect(classifyGraphStatus(status, code)).toEqual({ kind: 'noPhoto' });
  });

  test('403 → permissionDenied naming the permission and admin consent', () => {
    const answer = classifyGraphStatus(403, 'ErrorAccessDenied');
    expect(answer).toMatchObject({ kind: 'failed', error: { code: 'permissionDenied' } });
    if (answer.kind === 'failed')
      expect(answer.error.message).toMatch(/ProfilePhoto\.Read\.All.*User\.Read\.All.*admin consent/s);
  });

  test('401 → authenticationFailed: a credential problem, not a permission to grant', () => {
    const answer = classifyGraphStatus(401, 'InvalidAuthenticationToken');
    expect(answer).toMatchObject({ kind: 'failed', error: { code: 'authenticationFailed' } });
    if (answer.kind === 'failed') expect(answer.error.message).not.toMatch(/admin consent/);
  });

  test.each([429, 503, 504])('%i after the retries → throttled', (status) => {
    expect(classifyGraphStatus(status, 'TooManyRequests')).toMatchObject({
      kind: 'failed',
      error: { code: 'throttled' },
    });
  });

  test.each([
    [500, 'InternalServerError'],
    [404, 'SomethingElse'],
    [400, 'BadRequest'],
  ])('%i %s → graphError', (status, code) => {
    expect(classifyGraphStatus(status, code)).toMatchObject({
      kind: 'failed',
      error: { code: 'graphError' },
    });
  });
});

describe('Retry-After', () => {
  test('seconds, an HTTP date, or nothing', () => {
    const now = Date.parse('2026-11-26T20:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3000);
    expect(retryAfterMs('Thu, 26 Nov 2026 20:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs(null, now)).toBeUndefined();
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });
});
