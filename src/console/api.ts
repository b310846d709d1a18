/** The app's HTTP API, called with the page's own origin and the admin's own sign-in (cookies). */

export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** A refused or failed request, with the API's own code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiResponse<T> {
  status: number;
  body: T;
  etag: string | null;
}

async function request<T>(
  method: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { Accept: 'application/json', ...init.headers };
  // Every change carries JSON: the API refuses changes without it (so no other page can forge one).
  if (method !== 'GET') headers['Content-Type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/api/${path}`, {
      method,
      headers,
      body: method === 'GET' ? undefined : JSON.stringify(init.body ?? {}),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(
      0,
      'unreachable',
      'The app did not answer; check your connection and reload.',
      undefined,
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): the status says what happened.
  }
  if (!response.ok) {
    const error = (body as Partial<ApiErrorBody> | undefined)?.error;
    throw new ApiError(
      response.status,
      error?.code ?? `http${response.status}`,
      error?.message ?? `The app answered ${response.status} ${response.statusText}.`,
      body,
    );
  }
  return { status: response.status, body: body as T, etag: response.headers.get('ETag') };
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  patch: <T>(path: string, body: unknown, ifMatch?: string) =>
    request<T>('PATCH', path, { body, headers: ifMatch === undefined ? {} : { 'If-Match': ifMatch } }),
  post: <T>(path: string, body: unknown = {}) => request<T>('POST', path, { body }),
};

export const OUTCOMES = ['added', 'updated', 'unchanged', 'removed', 'noPhoto', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export interface Settings {
  userPhotos: boolean;
  syncUserPhotos: boolean;
  photoGroupId?: string | null;
  photoExcludeGroupId?: string | null;
  photoSyncActive: boolean;
  updatedAt: string | null;
  updatedBy?: string | null;
}

export interface Run {
  runId: string;
  status: 'running' | 'completed' | 'failed';
  trigger: string;
  startedAt: string;
  finishedAt: string | null;
  lastProgressAt?: string;
  photoSyncActive: boolean;
  users: number;
  skipped?: number;
  photos: Record<Outcome, number>;
  jobs: { total: number | null; done: number; poisoned?: number };
  warnings?: Array<{ code: string; message: string; count?: number }>;
  error: { code: string; message: string } | null;
}

export interface PhotoError {
  code: string;
  message: string;
}

export interface User {
  id: string;
  displayName: string | null;
  givenName: string | null;
  surname: string | null;
  mail: string | null;
  userPrincipalName: string | null;
  accountEnabled: boolean | null;
  inDirectory?: boolean;
  departedAt?: string | null;
  photo: {
    status: 'present' | 'none' | 'unknown';
    sha256: string | null;
    contentType: string | null;
    bytes: number | null;
    lastResult: Outcome | null;
    lastCheckedAt: string | null;
    lastChangedAt: string | null;
    lastError: PhotoError | null;
  };
}

export interface PhotoEvent {
  at: string;
  runId: string;
  result: Outcome;
  reason?: string | null;
  error: PhotoError | null;
}

export interface Health {
  status: string;
  storage: { reachable: boolean };
  graph: { reachable: boolean; problem?: PhotoError | null };
  schedule?: { expression: string; nextRunAt: string | null };
}

export interface SettingsHistory {
  changes: Array<{ at: string; by: string | null; changes: Record<string, { from: unknown; to: unknown }> }>;
  next: string | null;
}

export const userPath = (userId: string): string => `users/${encodeURIComponent(userId)}`;
