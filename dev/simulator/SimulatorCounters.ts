/** What clients did to the simulator, for tests and the benchmark. */
export interface SimulatorCounters {
  /** Pages of users served, `/users` and `/users/delta` alike. */
  listPages: number;
  /** Of those, `/users/delta` pages (410 answers included): which listing a run used. */
  deltaPages: number;
  /** Pages of group members served (`transitiveMembers`). */
  groupPages: number;
  batchCalls: number;
  batchItems: number;
  /** Photo metadata requests outside `$batch`. */
  directMetadata: number;
  /** Photo `$value` requests outside `$batch`. */
  directValue: number;
  /** Photo bytes actually sent, direct and base64-decoded from `$batch`. */
  photoBytesServed: number;
  /** Requests for a resource that arrived before the `Retry-After` the simulator gave for it ran out. */
  earlyRequests: number;
  /** 429 answers, direct and batch items. */
  throttled: number;
  unauthorized: number;
  /** Every HTTP request except the `/_sim/` control API. */
  requests: number;
  requestsByHost: Record<string, number>;
}

export function emptyCounters(): SimulatorCounters {
  return {
    listPages: 0,
    deltaPages: 0,
    groupPages: 0,
    batchCalls: 0,
    batchItems: 0,
    directMetadata: 0,
    directValue: 0,
    photoBytesServed: 0,
    earlyRequests: 0,
    throttled: 0,
    unauthorized: 0,
    requests: 0,
    requestsByHost: {},
  };
}
