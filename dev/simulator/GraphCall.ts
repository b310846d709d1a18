/** One Graph request, direct or a `$batch` item, as the endpoints see it. */
export interface GraphCall {
  method: string;
  /** Decoded path segments after the version, e.g. `['users', id, 'photo']`. */
  segments: string[];
  query: URLSearchParams;
  inBatch: boolean;
  arrivedAt: number;
}

/** Decoded segments of a path; undefined when a segment is not valid percent-encoding. */
export function pathSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
