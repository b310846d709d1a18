import type { IncomingMessage } from 'node:http';

/** The whole body of a request; undefined once it grows past `maxBytes` (the caller's 413 or 400). */
export async function readRequestBody(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
