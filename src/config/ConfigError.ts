/** A setting that is missing or malformed: start-up stops with a message that names the key. */
export class ConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`Configuration error in ${key}: ${problem}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/** A setting's value, trimmed; undefined when it is absent or empty. */
export function read(env: Env, key: string): string | undefined {
  const value = env[key]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** An https URL without trailing slashes: the Graph SDK sends the bearer token only over https. */
export function httpsUrl(key: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(key, 'not a URL');
  }
  if (url.protocol !== 'https:')
    throw new ConfigError(key, 'must be an https URL (the Graph SDK sends the bearer token only over https)');
  return value.replace(/\/+$/, '');
}
