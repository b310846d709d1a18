/**
 * The Graph simulator, driven the way the product drives real Graph: through the real SDK over
 * https. If the simulator drifts from Graph's behaviour, the product's tests prove nothing.
 */
import {
  BatchRequestContent,
  BatchResponseContent,
  Client,
  GraphError,
  ResponseType,
} from '@microsoft/microsoft-graph-client';
import * as jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { GraphSimulator } from '../../dev/simulator/GraphSimulator';
import { makeJpeg, makePng } from '../../dev/simulator/SampleImages';
import { SimulatedTenant } from '../../dev/simulator/SimulatedTenant';
import { trustCertificate } from '../../dev/simulator/trustCertificate';

const USER_COUNT = 45;
/** Users per `/users/delta` page: the server's choice, as delta takes no `$top`. */
const DELTA_PAGE = 20;
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
const JPEG_SIGNATURE = Buffer.from([0xff, 0xd8, 0xff]);

interface PhotoMetadataBody {
  '@odata.mediaContentType': string;
  '@odata.mediaEtag': string;
  id: string;
  width: number;
  height: number;
}

interface UserPage {
  value: Array<Record<string, unknown>>;
  '@odata.nextLink'?: string;
}

let tenant: SimulatedTenant;
let sim: GraphSimulator;
let client: Client;

function clientWithToken(token: string): Client {
  return Client.initWithMiddleware({
    authProvider: { getAccessToken: async () => token },
    baseUrl: sim.origin,
    defaultVersion: 'v1.0',
    customHosts: new Set(['localhost']),
  });
}

/** The id of the first user (by index) matching, e.g. "has a PNG photo". */
function userWhere(predicate: (index: number) => boolean): string {
  for (let i = 0; i < tenant.count; i++) if (predicate(i)) return tenant.userAt(i).id;
  throw new Error('no such user');
}
const hasPhoto = (i: number): boolean => tenant.photoMetadataOf(tenant.userAt(i).id) !== null;

async function getValue(id: string): Promise<Buffer> {
  return Buffer.from(
    (await client
      .api(`/users/${id}/photo/$value`)
      .responseType(ResponseType.ARRAYBUFFER)
      .get()) as ArrayBuffer,
  );
}

async function graphErrorOf(call: Promise<unknown>): Promise<GraphError> {
  const error: unknown = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof GraphError)) throw new Error(`expected a GraphError, got ${String(error)}`);
  return error;
}

async function batch(urls: string[]): Promise<BatchResponseContent> {
  const content = new BatchRequestContent(
    urls.map((url, i) => ({ id: String(i + 1), request: new Request(`https://localhost${url}`) })),
  );
  return new BatchResponseContent(await client.api('/$batch').post(await content.getContent()));
}

function response(batchResponse: BatchResponseContent, id: string): Response {
  const found = batchResponse.getResponseById(id);
  if (!found) throw new Error(`no batch response ${id}`);
  return found;
}

async function control(method: string, path: string, body?: unknown): Promise<globalThis.Response> {
  return fetch(`${sim.origin}/_sim/${path}`, {
    method,
    headers: { Authorization: `Bearer ${sim.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  tenant = new SimulatedTenant({ userCount: USER_COUNT, seed: 7 });
  sim = await GraphSimulator.start({ tenant, deltaPageSize: DELTA_PAGE });
  trustCertificate(sim.caCertPem);
  client = clientWithToken(sim.token);
});

afterAll(async () => {
  await sim.stop();
});

beforeEach(() => {
  sim.resetCounters();
  sim.resetFaults();
});

describe('users paging', () => {
  it('follows @odata.nextLink and returns every user exactly once, with only the selected properties', async () => {
    const seen: string[] = [];
    let page = (await client
      .api('/users')
      .select(['id', 'displayName', 'accountEnabled'])
      .top(7)
      .get()) as UserPage;
    for (;;) {
      for (const user of page.value) {
        expect(Object.keys(user).sort()).toEqual(['accountEnabled', 'displayName', 'id']);
        seen.push(user['id'] as string);
      }
      const next = page['@odata.nextLink'];
      if (!next) break;
      expect(next).toMatch(new RegExp(`^${sim.baseUrl.replace(/\./g, '\\.')}/users\\?`));
      page = (await client.api(next).get()) as UserPage;
    }
    expect(seen).toHaveLength(USER_COUNT);
    expect(new Set(seen).size).toBe(USER_COUNT);
    expect(seen).toEqual(Array.from({ length: USER_COUNT }, (_, i) => tenant.userAt(i).id));
    expect(sim.counters.listPages).toBe(Math.ceil(USER_COUNT / 7));
  });

  it('rejects unknown properties and page sizes Graph rejects', async () => {
    expect((await graphErrorOf(client.api('/users').select(['id', 'shoeSize']).get())).statusCode).toBe(400);
    expect((await graphErrorOf(client.api('/users').top(1000).get())).statusCode).toBe(400);
  });

  it('fails list pages from listFailAfterPages on with a 500 that the SDK does not retry', async () => {
    sim.faults.listFailAfterPages = 1;
    const first = (await client.api('/users').top(10).get()) as UserPage;
    const error = await graphErrorOf(client.api(first['@odata.nextLink']!).get());
    expect(error.statusCode).toBe(500);
    expect(sim.counters.listPages).toBe(2);
  });
});

describe('photo endpoints', () => {
  it('serves metadata and bytes that agree, as decodable JPEG and PNG', async () => {
    for (const [wantJpeg, signature] of [
      [true, JPEG_SIGNATURE],
      [false, PNG_SIGNATURE],
    ] as const) {
      const id = userWhere((i) => hasPhoto(i) && (i % 2 === 0) === wantJpeg);
      const metadata = (await client.api(`/users/${id}/photo`).get()) as PhotoMetadataBody;
      expect(metadata['@odata.mediaContentType']).toBe(wantJpeg ? 'image/jpeg' : 'image/png');
      expect(metadata['@odata.mediaEtag']).toMatch(/^W\/"[0-9a-f]+"$/);
      expect(metadata.id).toBe('default');
      const bytes = await getValue(id);
      expect(bytes.subarray(0, signature.length)).toEqual(signature);
      expect(bytes).toEqual(tenant.photoOf(id)!.bytes);
      const decoded = wantJpeg ? jpeg.decode(bytes) : PNG.sync.read(bytes);
      expect([decoded.width, decoded.height]).toEqual([metadata.width, metadata.height]);
    }
    expect(sim.counters).toMatchObject({ directMetadata: 2, directValue: 2, batchCalls: 0 });
    expect(sim.counters.photoBytesServed).toBeGreaterThan(0);
  });

  it('changes the etag but not the bytes on a re-upload, and both on a change', async () => {
    const id = userWhere((i) => hasPhoto(i) && i > 20);
    const etag = async (): Promise<string> =>
      ((await client.api(`/users/${id}/photo`).get()) as PhotoMetadataBody)['@odata.mediaEtag'];
    const [etag1, bytes1] = [await etag(), await getValue(id)];
    tenant.reuploadPhoto(id);
    const [etag2, bytes2] = [await etag(), await getValue(id)];
    expect(etag2).not.toBe(etag1);
    expect(bytes2).toEqual(bytes1);
    tenant.changePhoto(id);
    const [etag3, bytes3] = [await etag(), await getValue(id)];
    expect(etag3).not.toBe(etag2);
    expect(bytes3.equals(bytes2)).toBe(false);
  });

  it('accepts a URL-encoded userPrincipalName as the id', async () => {
    const user = tenant.userById(userWhere(hasPhoto))!;
    const metadata = (await client
      .api(`/users/${encodeURIComponent(user.userPrincipalName)}/photo`)
      .get()) as PhotoMetadataBody;
    expect(metadata['@odata.mediaEtag']).toBe(tenant.photoOf(user.id)!.etag);
  });

  it('answers 404 ImageNotFound without a photo and 404 Request_ResourceNotFound for unknown users', async () => {
    const withoutPhoto = userWhere((i) => !hasPhoto(i));
    const noPhoto = await graphErrorOf(client.api(`/users/${withoutPhoto}/photo`).get());
    expect([noPhoto.statusCode, noPhoto.code]).toEqual([404, 'ImageNotFound']);
    const noValue = await graphErrorOf(
      client.api(`/users/${withoutPhoto}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get(),
    );
    expect(noValue.statusCode).toBe(404);
    const unknown = await graphErrorOf(client.api('/users/00000000-0000-4000-8000-000000000000/photo').get());
    expect([unknown.statusCode, unknown.code]).toEqual([404, 'Request_ResourceNotFound']);
  });

  it('answers 403 ErrorAccessDenied for users under permissionDenied', async () => {
    const id = userWhere(hasPhoto);
    sim.faults.permissionDenied = new Set([id]);
    const error = await graphErrorOf(client.api(`/users/${id}/photo`).get());
    expect([error.statusCode, error.code, error.message]).toEqual([
      403,
      'ErrorAccessDenied',
      'Access is denied. Check credentials and try again.',
    ]);
    const other = userWhere((i) => hasPhoto(i) && tenant.userAt(i).id !== id);
    await expect(client.api(`/users/${other}/photo`).get()).resolves.toBeDefined();
    sim.faults.permissionDenied = true;
    expect((await graphErrorOf(client.api(`/users/${other}/photo`).get())).statusCode).toBe(403);
  });

  it('answers 401 InvalidAuthenticationToken without the bearer token', async () => {
    const raw = await fetch(`${sim.baseUrl}/users`);
    expect(raw.status).toBe(401);
    expect(((await raw.json()) as { error: { code: string } }).error.code).toBe('InvalidAuthenticationToken');
    const error = await graphErrorOf(clientWithToken('not-the-token').api('/users').get());
    expect([error.statusCode, error.code]).toEqual([401, 'InvalidAuthenticationToken']);
    expect(sim.counters.unauthorized).toBe(2);
    expect(sim.counters.requestsByHost[`localhost:${new URL(sim.origin).port}`]).toBe(2);
  });

  it('resets the connection or truncates the body for the users asked', async () => {
    const [a, b] = [userWhere(hasPhoto), userWhere((i) => hasPhoto(i) && i > 2)];
    sim.faults.resetConnectionFor = new Set([a]);
    sim.faults.truncateBodyFor = new Set([b]);
    const headers = { Authorization: `Bearer ${sim.token}` };
    await expect(fetch(`${sim.baseUrl}/users/${a}/photo`, { headers })).rejects.toThrow();
    const truncated = await fetch(`${sim.baseUrl}/users/${b}/photo/$value`, { headers });
    expect(Number(truncated.headers.get('content-length'))).toBe(tenant.photoOf(b)!.bytes.length);
    await expect(truncated.arrayBuffer()).rejects.toThrow();
  });
});

describe('$batch', () => {
  it('answers metadata and base64 $value items that decode to exactly the photo bytes', async () => {
    const ids = [userWhere((i) => hasPhoto(i) && i % 2 === 0), userWhere((i) => hasPhoto(i) && i % 2 === 1)];
    const noPhoto = userWhere((i) => !hasPhoto(i));
    const result = await batch([
      `/users/${ids[0]}/photo`,
      `/users/${ids[0]}/photo/$value`,
      `/users/${ids[1]}/photo/$value`,
      `/users/${noPhoto}/photo`,
    ]);

    const metadata = response(result, '1');
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as PhotoMetadataBody)['@odata.mediaEtag']).toBe(
      tenant.photoOf(ids[0])!.etag,
    );
    for (const [item, id] of [
      ['2', ids[0]],
      ['3', ids[1]],
    ] as const) {
      const value = response(result, item);
      expect(value.status).toBe(200);
      expect(value.headers.get('Content-Type')).toBe(tenant.photoOf(id)!.contentType);
      expect(Buffer.from(await value.text(), 'base64')).toEqual(tenant.photoOf(id)!.bytes);
    }
    const missing = response(result, '4');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('ImageNotFound');
    const expectedBytes = tenant.photoOf(ids[0])!.bytes.length + tenant.photoOf(ids[1])!.bytes.length;
    expect(sim.counters).toMatchObject({
      batchCalls: 1,
      batchItems: 4,
      directMetadata: 0,
      directValue: 0,
      photoBytesServed: expectedBytes,
      requests: 1,
    });
  });

  it('rejects item URLs that repeat the version, per item, as Graph does', async () => {
    const id = userWhere(hasPhoto);
    const content = {
      requests: [
        { id: '1', method: 'GET', url: `/v1.0/users/${id}/photo` },
        { id: '2', method: 'GET', url: `/users/${id}/photo` },
      ],
    };
    const result = new BatchResponseContent(await client.api('/$batch').post(content));
    expect(response(result, '1').status).toBe(400);
    expect(response(result, '2').status).toBe(200);
  });

  it('rejects more than 20 requests', async () => {
    const requests = Array.from({ length: 21 }, (_, i) => ({
      id: String(i),
      method: 'GET',
      url: `/users/${tenant.userAt(i).id}/photo`,
    }));
    expect((await graphErrorOf(client.api('/$batch').post({ requests }))).statusCode).toBe(400);
  });

  it('applies faults per item: 403 and 429 with Retry-After, while the batch answers 200', async () => {
    const [denied, throttled, fine] = [0, 1, 2].map((n) => userWhere((i) => hasPhoto(i) && i >= n * 3));
    sim.faults.permissionDenied = new Set([denied]);
    sim.faults.throttle.set(throttled, 1);
    const result = await batch([
      `/users/${denied}/photo`,
      `/users/${throttled}/photo`,
      `/users/${fine}/photo`,
    ]);
    expect(response(result, '1').status).toBe(403);
    const limited = response(result, '2');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('1');
    expect(response(result, '3').status).toBe(200);
    expect(sim.counters.throttled).toBe(1);
  });

  it('counts requests for a throttled resource that come before Retry-After ran out, and only those', async () => {
    const [hasty, patient] = [userWhere(hasPhoto), userWhere((i) => hasPhoto(i) && i > 2)];
    sim.faults.throttle.set(hasty, 1);
    expect(response(await batch([`/users/${hasty}/photo`]), '1').status).toBe(429);
    await client.api(`/users/${hasty}/photo`).get();
    expect(sim.counters.earlyRequests).toBe(1);
    // Another resource of the same user is not the throttled one.
    await client.api(`/users/${hasty}/photo/$value`).responseType(ResponseType.ARRAYBUFFER).get();
    expect(sim.counters.earlyRequests).toBe(1);

    sim.faults.throttle.set(patient, 1);
    expect(response(await batch([`/users/${patient}/photo`]), '1').status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(response(await batch([`/users/${patient}/photo`]), '1').status).toBe(200);
    expect(sim.counters.earlyRequests).toBe(1);
  });

  it('throttles photo requests above throttleRps with a Retry-After of at least one second', async () => {
    sim.faults.throttleRps = 2;
    const ids = Array.from({ length: 5 }, (_, n) => userWhere((i) => hasPhoto(i) && i >= n * 2));
    const result = await batch(ids.map((id) => `/users/${id}/photo`));
    const statuses = ['1', '2', '3', '4', '5'].map((i) => response(result, i).status);
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect(response(result, '3').headers.get('Retry-After')).toBe('1');
  });

  it('fails the same items for the same randomFailureSeed', async () => {
    const urls = Array.from({ length: 20 }, (_, i) => `/users/${tenant.userAt(i).id}/photo`);
    const statuses = async (): Promise<number[]> => {
      sim.resetFaults();
      sim.faults.randomFailureRate = 0.5;
      sim.faults.randomFailureSeed = 42;
      const result = await batch(urls);
      return urls.map((_, i) => response(result, String(i + 1)).status);
    };
    const first = await statuses();
    expect(first.filter((s) => s >= 500 || s === 429).length).toBeGreaterThan(3);
    expect(await statuses()).toEqual(first);
  });
});

describe('stalls', () => {
  it('delays the answer for stalled users only', async () => {
    const [slow, quick] = [userWhere(hasPhoto), userWhere((i) => hasPhoto(i) && i > 2)];
    sim.faults.stallMs = 400;
    sim.faults.stallFor = new Set([slow]);
    let started = Date.now();
    await client.api(`/users/${quick}/photo`).get();
    expect(Date.now() - started).toBeLessThan(300);
    started = Date.now();
    await client.api(`/users/${slow}/photo`).get();
    expect(Date.now() - started).toBeGreaterThanOrEqual(390);
  });
});

describe('control API', () => {
  it('needs the token, changes photos and faults, and is not counted', async () => {
    const id = userWhere(hasPhoto);
    expect((await fetch(`${sim.origin}/_sim/counters`)).status).toBe(401);
    const before = Buffer.from(await (await control('GET', `users/${id}/photo`)).arrayBuffer());
    expect(before).toEqual(tenant.photoOf(id)!.bytes);
    expect((await control('POST', `users/${id}/photo`, { action: 'change' })).status).toBe(200);
    expect(tenant.photoOf(id)!.bytes.equals(before)).toBe(false);
    expect((await control('POST', `users/${id}/photo`, { action: 'remove' })).status).toBe(200);
    expect((await control('GET', `users/${id}/photo`)).status).toBe(404);
    expect((await control('POST', `users/${id}/photo`, { action: 'reupload' })).status).toBe(409);

    const upn = tenant.userAt(3).userPrincipalName;
    expect((await control('POST', 'faults', { throttle: { [upn]: 2 }, permissionDenied: true })).status).toBe(
      200,
    );
    expect(sim.faults.throttle.get(tenant.userAt(3).id)).toBe(2);
    expect(sim.faults.permissionDenied).toBe(true);
    expect((await control('POST', 'faults', { bogus: 1 })).status).toBe(400);

    const mutated = (await (await control('POST', 'mutate', { changed: 0.2, seed: 3 })).json()) as {
      changedIds: string[];
      reuploadedIds: string[];
    };
    expect(mutated.changedIds.length + mutated.reuploadedIds.length).toBeGreaterThan(0);
    expect(await (await control('GET', 'tenant')).json()).toEqual({ userCount: USER_COUNT });
    expect((await (await control('GET', 'counters')).json()) as { requests: number }).toMatchObject({
      requests: 0,
    });
  });
});

// After every test of the shared tenant's users: it renames, deletes and hires there.
describe('users delta', () => {
  interface DeltaPage extends UserPage {
    '@odata.deltaLink'?: string;
  }

  /** A whole round: every page's users, and the link the last page ends with. */
  async function round(
    first: string,
  ): Promise<{ value: DeltaPage['value']; deltaLink: string; pages: number }> {
    const value: DeltaPage['value'] = [];
    let page = (await client.api(first).get()) as DeltaPage;
    for (let pages = 1; ; pages++) {
      value.push(...page.value);
      if (page['@odata.nextLink'] === undefined)
        return { value, deltaLink: page['@odata.deltaLink']!, pages };
      expect(page['@odata.deltaLink']).toBeUndefined();
      page = (await client.api(page['@odata.nextLink']).get()) as DeltaPage;
    }
  }

  it('an initial round lists every user in server-sized pages; a round from its link only the changes, @removed for the deleted', async () => {
    const initial = await round('/users/delta?$select=id,displayName');
    expect(initial.pages).toBe(Math.ceil(USER_COUNT / DELTA_PAGE));
    expect(initial.value.map((user) => user.id)).toEqual(tenant.users().map((user) => user.id));
    expect(Object.keys(initial.value[0]).sort()).toEqual(['displayName', 'id']);

    const quiet = await round(initial.deltaLink);
    expect(quiet).toMatchObject({ value: [], pages: 1 });

    const [renamed, deleted] = tenant.users().map((user) => user.id);
    tenant.rename(renamed, 'New Name');
    tenant.deleteUser(deleted);
    const hired = tenant.hire();
    const changes = await round(quiet.deltaLink);
    expect(changes.value).toEqual([
      { id: renamed, displayName: 'New Name' },
      { id: deleted, '@removed': { reason: 'deleted' } },
      { id: hired.id, displayName: hired.displayName },
    ]);
    // The changes were delivered: the next round from the new link is quiet again.
    expect((await round(changes.deltaLink)).value).toEqual([]);
  });

  it('answers 410 for a token it did not issue or while deltaTokenExpired, and refuses $top', async () => {
    const { deltaLink } = await round('/users/delta?$select=id');
    sim.faults.deltaTokenExpired = true;
    const expired = await graphErrorOf(client.api(deltaLink).get());
    expect([expired.statusCode, expired.code]).toEqual([410, 'syncStateNotFound']);
    sim.faults.deltaTokenExpired = false;
    expect((await graphErrorOf(client.api('/users/delta?$deltatoken=bm90LW91cnM').get())).statusCode).toBe(
      410,
    );
    expect((await graphErrorOf(client.api('/users/delta').top(5).get())).statusCode).toBe(400);
  });
});

describe('SimulatedTenant', () => {
  it('is deterministic from its seed and finds users by id and userPrincipalName', () => {
    const again = new SimulatedTenant({ userCount: USER_COUNT, seed: 7 });
    const other = new SimulatedTenant({ userCount: USER_COUNT, seed: 8 });
    const sample = again.userAt(12);
    expect(sample.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(other.userAt(12).id).not.toBe(sample.id);
    expect(again.photoOf(sample.id)!.bytes).toEqual(
      new SimulatedTenant({ userCount: USER_COUNT, seed: 7 }).photoOf(sample.id)!.bytes,
    );
    for (let i = 0; i < USER_COUNT; i++) {
      const user = again.userAt(i);
      expect(again.indexOf(user.id)).toBe(i);
      expect(again.indexOf(user.userPrincipalName.toUpperCase())).toBe(i);
      expect(other.indexOf(user.id)).toBeUndefined();
    }
    expect(again.userAt(6).id).toBe(again.userById(again.userAt(6).userPrincipalName)!.id);
    expect(again.photoOf(again.userAt(6).id)).toBeNull();
    const sixty = new SimulatedTenant({ userCount: 60 });
    expect([sixty.userAt(48).accountEnabled, sixty.userAt(49).accountEnabled]).toEqual([true, false]);
  });

  it('mutates a deterministic sample and reports the new bytes', () => {
    const run = (): { result: ReturnType<SimulatedTenant['mutate']>; t: SimulatedTenant } => {
      const t = new SimulatedTenant({ userCount: 200, seed: 3 });
      return { result: t.mutate({ changed: 0.25, reuploadShare: 0.4, seed: 9 }), t };
    };
    const { result, t } = run();
    const total = result.changedIds.length + result.reuploadedIds.length;
    const withPhoto = Array.from({ length: 200 }, (_, i) => t.userAt(i)).filter(
      (u) => t.photoOf(u.id) !== null,
    ).length;
    expect(total).toBe(Math.round(0.25 * withPhoto));
    expect(result.reuploadedIds.length).toBe(Math.round(0.4 * total));
    expect(result.changedBytes).toBe(
      [...result.changedIds, ...result.reuploadedIds].reduce(
        (sum, id) => sum + t.photoOf(id)!.bytes.length,
        0,
      ),
    );
    expect(run().result).toEqual(result);
  });

  it('keeps setPhoto bytes verbatim and reads their dimensions', () => {
    const t = new SimulatedTenant({ userCount: 3 });
    const id = t.userAt(1).id;
    t.setPhoto(id, makePng(5, 300), 'image/png');
    expect(t.photoOf(id)).toMatchObject({
      width: 300,
      height: 300,
      contentType: 'image/png',
      bytes: makePng(5, 300),
    });
    t.setPhoto(id, makeJpeg(5, 72), 'image/jpeg');
    expect(t.photoOf(id)).toMatchObject({ width: 72, height: 72 });
    t.setPhoto(id, Buffer.from('not an image'), 'text/plain');
    expect(t.photoOf(id)).toMatchObject({ width: 0, height: 0, contentType: 'text/plain' });
  });
});

describe('SampleImages', () => {
  it('renders decodable images, identical per seed and different across seeds', () => {
    for (const size of [48, 100, 648]) {
      const decodedJpeg = jpeg.decode(makeJpeg(1, size));
      const decodedPng = PNG.sync.read(makePng(1, size));
      expect([decodedJpeg.width, decodedJpeg.height, decodedPng.width, decodedPng.height]).toEqual([
        size,
        size,
        size,
        size,
      ]);
      // Same picture in both formats: the JPEG is lossless on flat cells up to colour-space rounding.
      const maxDifference = decodedJpeg.data.reduce(
        (max, v, i) => (i % 4 === 3 ? max : Math.max(max, Math.abs(v - decodedPng.data[i]))),
        0,
      );
      expect(maxDifference).toBeLessThanOrEqual(3);
    }
    expect(makeJpeg(2, 64)).toEqual(makeJpeg(2, 64));
    expect(makeJpeg(2, 64).equals(makeJpeg(3, 64))).toBe(false);
    expect(makePng(2, 64).equals(makePng(3, 64))).toBe(false);
  });
});
