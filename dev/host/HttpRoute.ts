/** A Functions route template (`users/{userId}/photo`, `runs/{runId?}`) matched against a path. */
export class HttpRoute {
  private readonly segments: Array<{ literal: string } | { param: string; optional: boolean }>;

  constructor(readonly template: string) {
    this.segments = template
      .split('/')
      .filter(Boolean)
      .map((segment) => {
        const match = /^\{([A-Za-z0-9_]+)(\?)?\}$/.exec(segment);
        return match === null
          ? { literal: segment.toLowerCase() }
          : { param: match[1], optional: match[2] === '?' };
      });
  }

  /** Literal segments first: `users/{userId}/photo/log` wins over `users/{userId}/photo`. */
  get specificity(): number {
    return this.segments.filter((segment) => 'literal' in segment).length * 100 + this.segments.length;
  }

  match(path: string): Record<string, string> | undefined {
    const parts = path.split('/').filter(Boolean);
    if (parts.length > this.segments.length) return undefined;
    const params: Record<string, string> = {};
    for (const [index, segment] of this.segments.entries()) {
      const part = parts[index];
      if (part === undefined) {
        if ('param' in segment && segment.optional) continue;
        return undefined;
      }
      let decoded: string;
      try {
        decoded = decodeURIComponent(part);
      } catch {
        return undefined;
      }
      if ('literal' in segment) {
        if (decoded.toLowerCase() !== segment.literal) return undefined;
      } else {
        params[segment.param] = decoded;
      }
    }
    return params;
  }
}
