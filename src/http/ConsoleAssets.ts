import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Only plain file names of the built console: no folders, so no path can leave it. */
const ASSET_NAME = /^[A-Za-z][A-Za-z0-9-]*\.(html|js|css|svg)$/;

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

export interface ConsoleAsset {
  bytes: Buffer;
  contentType: string;
}

/**
 * Where `npm run build` puts the console (`dist/src/console`, beside the app's compiled code):
 * found from the app's root, the folder with host.json, wherever this module runs from.
 */
function consoleFolder(): string {
  let folder = __dirname;
  while (!existsSync(join(folder, 'host.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('no host.json above the app: cannot find the console');
    folder = parent;
  }
  return join(folder, 'dist', 'src', 'console');
}

const cache = new Map<string, Promise<ConsoleAsset | undefined>>();

async function load(name: string): Promise<ConsoleAsset | undefined> {
  const path = join(consoleFolder(), name);
  if (!existsSync(path)) return undefined;
  return { bytes: await readFile(path), contentType: CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] };
}

/** A file of the built console by its name, read once per process; undefined if there is none. */
export function readConsoleAsset(name: string): Promise<ConsoleAsset | undefined> {
  if (!ASSET_NAME.test(name)) return Promise.resolve(undefined);
  let asset = cache.get(name);
  if (asset === undefined) {
    asset = load(name);
    cache.set(name, asset);
    // A failed read is not kept: the next request tries again.
    asset.catch(() => cache.delete(name));
  }
  return asset;
}
