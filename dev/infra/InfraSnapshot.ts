import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { runBicep, type BicepCli } from './BicepCli';

/**
 * What a deployment of `infra/main.bicep` would create, as the Bicep CLI predicts it offline
 * (`bicep snapshot`): every resource with its properties evaluated for the given parameters.
 * Values only Azure knows at deployment (an identity's client id) stay ARM expressions.
 */
const predictedResource = z.looseObject({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  properties: z.record(z.string(), z.unknown()).optional(),
});
const snapshotSchema = z.object({
  predictedResources: z.array(predictedResource),
  outputs: z.record(z.string(), z.unknown()).optional(),
});
export type PredictedResource = z.infer<typeof predictedResource>;
export type InfraSnapshot = z.infer<typeof snapshotSchema>;

export type ParamValue = string | number | boolean | readonly string[];

/** Made-up ids: the snapshot only needs them to be GUIDs. */
export const SNAPSHOT_SUBSCRIPTION = '00000000-0000-0000-0000-00000000c0de';
export const SNAPSHOT_TENANT = '00000000-0000-0000-0000-00000000feed';

function bicepLiteral(value: ParamValue): string {
  if (typeof value === 'string') return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return `[${value.map(bicepLiteral).join(', ')}]`;
}

export function snapshotInfra(
  cli: Extract<BicepCli, { kind: 'available' }>,
  mainBicep: string,
  params: Record<string, ParamValue>,
  location = 'westeurope',
): InfraSnapshot {
  const dir = mkdtempSync(join(tmpdir(), 'infra-snapshot-'));
  try {
    const paramsFile = join(dir, 'main.bicepparam');
    // Bicep accepts only a relative path after `using`.
    const lines = [`using '${relative(dir, mainBicep)}'`];
    for (const [name, value] of Object.entries(params)) lines.push(`param ${name} = ${bicepLiteral(value)}`);
    writeFileSync(paramsFile, `${lines.join('\n')}\n`);
    const result = runBicep(cli, [
      'snapshot',
      paramsFile,
      '--mode',
      'overwrite',
      '--subscription-id',
      SNAPSHOT_SUBSCRIPTION,
      '--tenant-id',
      SNAPSHOT_TENANT,
      '--location',
      location,
    ]);
    if (result.status !== 0) throw new Error(`bicep snapshot failed:\n${result.output}`);
    return snapshotSchema.parse(JSON.parse(readFileSync(join(dir, 'main.snapshot.json'), 'utf8')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function resourcesOfType(snapshot: InfraSnapshot, type: string): PredictedResource[] {
  return snapshot.predictedResources.filter((resource) => resource.type.toLowerCase() === type.toLowerCase());
}
