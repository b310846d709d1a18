import type { HttpRequest } from '@azure/functions';
import type { HttpError } from './HttpError';

/**
 * A query parameter parsed strictly: absent → undefined; given once and accepted by `parse` → its
 * value; given twice, or refused by `parse` → the route's 400.
 */
export function singleQueryValue<T>(
  request: HttpRequest,
  name: string,
  parse: (text: string) => T | undefined,
  invalid: () => HttpError,
): T | undefined {
  const values = request.query.getAll(name);
  if (values.length === 0) return undefined;
  const value = values.length === 1 ? parse(values[0]) : undefined;
  if (value === undefined) throw invalid();
  return value;
}
