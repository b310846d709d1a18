import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback proxy in front of Azurite's blob endpoint, for the host only. It passes every request
 * through; once armed, it keeps back the answer to the next photo blob written: that blob is
 * stored, and the host, still waiting for the answer, has not written the record that names it.
 * A kill then lands exactly between a blob write and its record write.
 */
export class BlobWriteTap {
  private armed = false;
  private held = 0;

  private constructor(private readonly server: Server) {}

  static async start(blobPort: number, account: string, container: string): Promise<BlobWriteTap> {
    const photoBlob = new RegExp(`^/${account}/${container}/[^?]+$`);
    let tap: BlobWriteTap | undefined;
    const server = createServer((req, res) => {
      res.on('error', () => undefined);
      const upstream = request(
        { host: '127.0.0.1', port: blobPort, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          if (
            tap!.armed &&
            req.method === 'PUT' &&
            answer.statusCode === 201 &&
            photoBlob.test(req.url ?? '')
          ) {
            tap!.armed = false;
            tap!.held++;
            answer.resume();
            return;
          }
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      req.on('error', () => upstream.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tap = new BlobWriteTap(server);
    return tap;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** Answers held back so far; one more after each `arm()` that caught a write. */
  get caught(): number {
    return this.held;
  }

  arm(): void {
    this.armed = true;
  }

  disarm(): void {
    this.armed = false;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
