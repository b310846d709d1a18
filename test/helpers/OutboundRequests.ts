import diagnosticsChannel from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

export interface OutboundRequest {
  /** `http` for node:http (the Azure storage SDKs), `fetch` for undici (the Graph SDK's fetch). */
  via: 'http' | 'fetch';
  /** `http:` or `https:`. */
  protocol: string;
  /** `host:port`, as the request addressed it. */
  hostPort: string;
  method: string;
  /** Path and query, as sent. */
  path: string;
}

interface UndiciRequest {
  origin: string | URL;
  path: string;
  method: string;
}

/**
 * Every request this process makes, seen through Node's diagnostics channels: `node:http` client
 * requests and undici (fetch) requests. Nothing is patched; the channels are process-wide, so
 * requests the app makes inside jest's module registry are seen too.
 */
export class OutboundRequests {
  readonly requests: OutboundRequest[] = [];

  private readonly onHttp = (message: unknown): void => {
    const request = (message as { request: ClientRequest }).request;
    const host = String(request.getHeader('host') ?? request.host);
    this.requests.push({
      via: 'http',
      protocol: request.protocol,
      hostPort: withPort(host, request.protocol === 'https:' ? 443 : 80),
      method: request.method,
      path: request.path,
    });
  };

  private readonly onFetch = (message: unknown): void => {
    const request = (message as { request: UndiciRequest }).request;
    const origin = new URL(String(request.origin));
    this.requests.push({
      via: 'fetch',
      protocol: origin.protocol,
      hostPort: withPort(origin.host, origin.protocol === 'https:' ? 443 : 80),
      method: request.method,
      path: request.path,
    });
  };

  start(): this {
    diagnosticsChannel.subscribe('http.client.request.start', this.onHttp);
    diagnosticsChannel.subscribe('undici:request:create', this.onFetch);
    return this;
  }

  stop(): void {
    diagnosticsChannel.unsubscribe('http.client.request.start', this.onHttp);
    diagnosticsChannel.unsubscribe('undici:request:create', this.onFetch);
  }

  clear(): void {
    this.requests.length = 0;
  }

  hostPorts(): Set<string> {
    return new Set(this.requests.map((request) => request.hostPort));
  }

  /** Requests whose path, raw or percent-decoded, contains `text`. */
  mentioning(text: string): OutboundRequest[] {
    return this.requests.filter((request) => {
      let decoded = request.path;
      try {
        decoded = decodeURIComponent(request.path.replace(/\+/g, ' '));
      } catch {
        // a path that is not valid percent-encoding is matched raw only
      }
      return request.path.includes(text) || decoded.includes(text);
    });
  }
}

function withPort(host: string, defaultPort: number): string {
  return /:\d+$/.test(host) ? host : `${host}:${defaultPort}`;
}
