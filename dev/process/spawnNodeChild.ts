import {
  spawn,
  type ChildProcessWithoutNullStreams,
  type SpawnOptionsWithoutStdio,
} from 'node:child_process';

/**
 * Loaded before the script (which stays the main module with its own argv), it stops the process
 * when the parent's end of its stdin pipe closes. That happens on every kind of parent exit, `kill -9`
 * included, so a dev script that dies leaves no child behind holding ports, data or CPU. The
 * child stops as on SIGTERM, so its own handlers run (Azurite saves data on disk first); the
 * timer ends it should that shutdown hang.
 */
const EXIT_WITH_PARENT = [
  'const stop = () => { process.kill(process.pid, "SIGTERM"); setTimeout(() => process.exit(0), 3000).unref(); };',
  "process.stdin.on('end', stop).on('error', stop).resume();",
].join(' ');

/** A Node.js child of this process running `script`, which exits when this process does. */
export function spawnNodeChild(
  script: string,
  args: readonly string[],
  options: SpawnOptionsWithoutStdio = {},
): ChildProcessWithoutNullStreams {
  // All three standard streams are pipes: stdin is the tie, and the parent reads the others.
  const preload = `--import=data:text/javascript,${encodeURIComponent(EXIT_WITH_PARENT)}`;
  return spawn(process.execPath, [preload, script, ...args], options);
}
