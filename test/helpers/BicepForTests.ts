import { locateBicep, type BicepCli } from '../../dev/infra/BicepCli';

export type AvailableBicep = Extract<BicepCli, { kind: 'available' }>;

/**
 * The pinned Bicep CLI for tests that read what the compiler makes of infra/. Where it cannot be
 * had they are skipped with one line, except under CI=true, where .ci/run guarantees it.
 */
export function bicepForTests(): AvailableBicep | undefined {
  const cli = locateBicep();
  if (cli.kind === 'available') return cli;
  if (process.env.CI === 'true') throw new Error(`CI=true but the Bicep CLI is not available: ${cli.reason}`);
  console.log(`Skipping the compiled-infra tests: Bicep CLI not available (${cli.reason}).`);
  return undefined;
}
