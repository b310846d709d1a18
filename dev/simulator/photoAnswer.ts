import {
  graphError,
  halfLength,
  jsonAnswer,
  noPhoto,
  throttledAnswer,
  type GraphAnswer,
} from './GraphAnswer';
import type { GraphCall } from './GraphCall';
import type { SimulatedUser } from './SimulatedTenant';
import type { SimulatorState } from './SimulatorState';

type PhotoState = Pick<
  SimulatorState,
  | 'tenant'
  | 'baseUrl'
  | 'counters'
  | 'faults'
  | 'retryAfterSeconds'
  | 'deadlines'
  | 'bucket'
  | 'randomFailures'
>;

/** `GET /users/{id}/photo` (metadata) and `GET /users/{id}/photo/$value` (bytes), with their faults. */
export function photoAnswer(
  sim: PhotoState,
  call: GraphCall,
  userKey: string,
  wantValue: boolean,
): GraphAnswer {
  if (!call.inBatch) {
    if (wantValue) sim.counters.directValue++;
    else sim.counters.directMetadata++;
  }
  const index = sim.tenant.indexOf(userKey);
  const user = index === undefined ? undefined : sim.tenant.userAt(index);
  const userId = user?.id ?? userKey.toLowerCase();
  const resourceKey = `GET /users/${userId}/photo${wantValue ? '/$value' : ''}`;
  if (sim.deadlines.isEarly(resourceKey, call.arrivedAt)) sim.counters.earlyRequests++;

  const answer = photoFault(sim, userId) ?? photoContent(sim, user, userKey, wantValue);
  answer.resourceKey = resourceKey;
  if (answer.status === 429) sim.counters.throttled++;
  const { stallFor, stallMs } = sim.faults;
  if (stallMs > 0 && (stallFor === 'all' || stallFor.has(userId))) answer.stallMs = stallMs;
  if (!call.inBatch && sim.faults.resetConnectionFor.has(userId)) answer.sabotage = 'reset';
  else if (!call.inBatch && answer.bytes && sim.faults.truncateBodyFor.has(userId))
    answer.sabotage = 'truncate';
  if (answer.bytes)
    sim.counters.photoBytesServed +=
      answer.sabotage === 'truncate' ? halfLength(answer.bytes) : answer.bytes.length;
  return answer;
}

/** Faults in the order a real service would hit them: rate limit first, then per-user conditions. */
function photoFault(sim: PhotoState, userId: string): GraphAnswer | undefined {
  const waitSeconds = sim.bucket.take(sim.faults.throttleRps);
  if (waitSeconds !== undefined) return throttledAnswer(waitSeconds);

  const { permissionDenied, throttle, errorFor } = sim.faults;
  if (permissionDenied === true || (permissionDenied instanceof Set && permissionDenied.has(userId))) {
    return graphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');
  }
  const throttleLeft = throttle.get(userId) ?? 0;
  if (throttleLeft > 0) {
    if (throttleLeft === 1) throttle.delete(userId);
    else throttle.set(userId, throttleLeft - 1);
    return throttledAnswer(sim.retryAfterSeconds);
  }
  const error = errorFor.get(userId);
  if (error) {
    if (error.times !== undefined) {
      if (error.times <= 1) errorFor.delete(userId);
      else errorFor.set(userId, { ...error, times: error.times - 1 });
    }
    const retryAfter = error.status === 429 || error.status === 503 ? sim.retryAfterSeconds : undefined;
    return graphError(error.status, error.code, `Simulated ${error.code}.`, retryAfter);
  }
  const failure = sim.randomFailures.next(sim.faults);
  if (failure !== undefined)
    return graphError(failure.status, failure.code, `Simulated random ${failure.code}.`, failure.retryAfter);
  return undefined;
}

function photoContent(
  sim: PhotoState,
  user: SimulatedUser | undefined,
  userKey: string,
  wantValue: boolean,
): GraphAnswer {
  if (!user)
    return graphError(
      404,
      'Request_ResourceNotFound',
      `Resource '${userKey}' does not exist or one of its queried reference-property objects are not present.`,
    );
  if (wantValue) {
    const photo = sim.tenant.photoOf(user.id);
    if (!photo) return noPhoto();
    return { status: 200, headers: { 'Content-Type': photo.contentType }, bytes: photo.bytes };
  }
  const metadata = sim.tenant.photoMetadataOf(user.id);
  if (!metadata) return noPhoto();
  return jsonAnswer(200, {
    '@odata.context': `${sim.baseUrl}/$metadata#users('${user.id}')/photo/$entity`,
    '@odata.mediaContentType': metadata.contentType,
    '@odata.mediaEtag': metadata.etag,
    id: 'default',
    height: metadata.height,
    width: metadata.width,
  });
}
