/**
 * Which user ids may reach Graph, a blob name or a table query (docs/design.md, "HTTP API"): an
 * Entra object id (GUID) or a user principal name. Everything else is refused before it is used.
 */
const OBJECT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// local@domain; guests' `#EXT#` and apostrophes are legal, path and query characters are not.
const USER_PRINCIPAL_NAME = /^[^\s/\\?@]+@[^\s/\\?@]+$/;
// eslint-style range over control characters, including DEL and the C1 block.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/**
 * Characters that make an id read as something it is not: format characters (\p{Cf}: the
 * bidirectional overrides and isolates U+202A–202E and U+2066–2069, zero-width spaces and joiners,
 * soft hyphens) and emoji (pictographs and the regional-indicator letters of flags). Entra
 * accepts none of them in a user principal name, so a request carrying one names nobody.
 */
const DECEPTIVE = /[\p{Cf}\p{Extended_Pictographic}\p{Regional_Indicator}]/u;
const MAX_LENGTH = 256;

export function isObjectId(value: string): boolean {
  return OBJECT_ID.test(value);
}

export function isUserPrincipalName(value: string): boolean {
  return (
    value.length <= MAX_LENGTH &&
    !CONTROL.test(value) &&
    !DECEPTIVE.test(value) &&
    USER_PRINCIPAL_NAME.test(value)
  );
}

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && (isObjectId(value) || isUserPrincipalName(value));
}

/** Object ids are compared and stored in lowercase: Graph treats them case-insensitively. */
export function normalizeObjectId(value: string): string {
  return value.toLowerCase();
}
