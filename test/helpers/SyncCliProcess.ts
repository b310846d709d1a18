import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from './HostProcess';

export const cliScript = join(projectRoot, 'dist', 'dev', 'cli', 'sync.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run sync -- <args>` as a user runs it: the built CLI in its own process. */
export function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.execPath, [cliScript, ...args], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** The last line of stdout, which must end with it: nothing, not even a blank line, may follow. */
export function lastLine(stdout: string): string {
  if (!stdout.endsWith('\n')) throw new Error(`stdout does not end with a line break:\n${stdout}`);
  return stdout.slice(0, -1).split('\n').at(-1) ?? '';
}
