/**
 * Makes Node's global `fetch` — which the Graph SDK uses — trust the simulator's self-signed
 * certificate, on top of the usual public roots (so real endpoints keep working in the same process).
 */
import * as tls from 'node:tls';
import { runInThisContext } from 'node:vm';
import { Agent, setGlobalDispatcher } from 'undici';

/** Where undici (the package and the copy built into Node) looks up the global dispatcher. */
const GLOBAL_DISPATCHER = Symbol.for('undici.globalDispatcher.1');

/** Every certificate trusted so far: a second simulator in the same process must not untrust the first. */
const extraCertificates: string[] = [];

export function trustCertificate(caPem: string): void {
  if (!extraCertificates.includes(caPem)) extraCertificates.push(caPem);
  const agent = new Agent({ connect: { ca: [...tls.rootCertificates, ...extraCertificates] } });
  setGlobalDispatcher(agent);
  // Jest runs each test file in a vm context whose `globalThis` is not the one Node's built-in
  // fetch reads the dispatcher from; install it on the process's own global as well.
  const processGlobal = runInThisContext('globalThis') as typeof globalThis;
  if (processGlobal !== globalThis) {
    Object.defineProperty(processGlobal, GLOBAL_DISPATCHER, {
      value: agent,
      writable: true,
      enumerable: false,
      configurable: false,
    });
  }
}
