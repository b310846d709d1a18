/** Status of a failed storage call (a table transaction too), if it had one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isConflict(error: unknown): boolean {
  return statusOf(error) === 409;
}

export function isPreconditionFailed(error: unknown): boolean {
  return statusOf(error) === 412;
}

export function isNotFound(error: unknown): boolean {
  return statusOf(error) === 404;
}

/** Reads one entity; a missing one is `undefined`, any other failure is thrown. */
export async function getOrUndefined<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}
