import type { IncomingMessage } from 'node:http';
import { z } from 'zod';
import { applyFaultPatch, FaultPatch } from './FaultPatch';
import { graphError, jsonAnswer, noPhoto, type GraphAnswer } from './GraphAnswer';
import { pathSegments } from './GraphCall';
import { readJson } from './readJson';
import { serializeFaults } from './SimulatorFaults';
import type { SimulatorState } from './SimulatorState';

const PhotoAction = z.object({ action: z.enum(['change', 'reupload', 'remove', 'add']) });
const MutateBody = z.object({
  changed: z.number(),
  reuploadShare: z.number().optional(),
  seed: z.number().optional(),
});

type ControlState = Pick<
  SimulatorState,
  'tenant' | 'counters' | 'faults' | 'randomFailures' | 'resetCounters' | 'resetFaults'
>;

/**
 * `/_sim/…`: drives the fake tenant and faults from other processes (demo, benchmark). The caller
 * has checked the bearer token.
 */
export async function controlAnswer(sim: ControlState, req: IncomingMessage, url: URL): Promise<GraphAnswer> {
  const method = req.method ?? 'GET';
  const segments = pathSegments(url.pathname)?.slice(1) ?? [];
  const route = `${method} ${segments.map((s, i) => (segments[0] === 'users' && i === 1 ? '{id}' : s)).join('/')}`;
  switch (route) {
    case 'GET counters':
      return jsonAnswer(200, sim.counters);
    case 'POST counters/reset':
      sim.resetCounters();
      return jsonAnswer(200, sim.counters);
    case 'GET tenant':
      return jsonAnswer(200, { userCount: sim.tenant.count });
    case 'GET faults':
      return jsonAnswer(200, serializeFaults(sim.faults));
    case 'POST faults': {
      const patch = FaultPatch.safeParse(await readJson(req));
      if (!patch.success) return graphError(400, 'BadRequest', z.prettifyError(patch.error));
      if (patch.data.reset) sim.resetFaults();
      applyFaultPatch(sim.faults, patch.data, (key) => userIdFor(sim, key));
      if (patch.data.randomFailureSeed !== undefined) sim.randomFailures.restart();
      return jsonAnswer(200, serializeFaults(sim.faults));
    }
    case 'POST mutate': {
      const body = MutateBody.safeParse(await readJson(req));
      if (!body.success) return graphError(400, 'BadRequest', z.prettifyError(body.error));
      return tenantCall(() => jsonAnswer(200, sim.tenant.mutate(body.data)));
    }
    case 'GET users/{id}/photo': {
      const photo = sim.tenant.photoOf(segments[1]);
      if (!photo) return noPhoto();
      return {
        status: 200,
        headers: { 'Content-Type': photo.contentType, ETag: photo.etag },
        bytes: photo.bytes,
      };
    }
    case 'POST users/{id}/photo': {
      const body = PhotoAction.safeParse(await readJson(req));
      if (!body.success) return graphError(400, 'BadRequest', z.prettifyError(body.error));
      const id = segments[1];
      const actions = {
        change: () => sim.tenant.changePhoto(id),
        reupload: () => sim.tenant.reuploadPhoto(id),
        remove: () => sim.tenant.removePhoto(id),
        add: () => sim.tenant.addPhoto(id),
      };
      return tenantCall(() => {
        actions[body.data.action]();
        return jsonAnswer(200, { id: sim.tenant.userById(id)!.id, photo: sim.tenant.photoMetadataOf(id) });
      });
    }
    default:
      return graphError(404, 'NotFound', `Unknown simulator control route: ${method} ${url.pathname}`);
  }
}

/** Tenant mutations throw on misuse (unknown user, no photo to re-upload); that is the caller's 4xx. */
function tenantCall(call: () => GraphAnswer): GraphAnswer {
  try {
    return call();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return message.startsWith('Unknown user')
      ? graphError(404, 'Request_ResourceNotFound', message)
      : graphError(409, 'Conflict', message);
  }
}

/** Fault keys are user ids; accept userPrincipalNames too, as Graph URLs do. */
function userIdFor(sim: Pick<SimulatorState, 'tenant'>, key: string): string {
  return sim.tenant.userById(key)?.id ?? key.toLowerCase();
}
