/** RFC 9457 problem details as typed errors: chosen by `code` first, then by HTTP status. */

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  errors?: Array<{ field?: string; message?: string; code?: string }>;
  requestId?: string;
  [extra: string]: unknown;
}

export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;
  readonly errors: NonNullable<Problem["errors"]>;
  readonly requestId?: string;
  constructor(status: number, readonly problem: Problem) {
    super(`${status} ${problem.code ?? `http_${status}`}: ${problem.detail ?? problem.title ?? ""}`);
    this.name = new.target.name;
    this.status = status;
    this.code = problem.code ?? `http_${status}`;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }
}

export class ValidationError extends ProblemError {}
export class AuthenticationError extends ProblemError {}
export class PermissionDenied extends ProblemError {}
export class NotFound extends ProblemError {}
export class Conflict extends ProblemError {}
export class InsufficientStock extends Conflict {}
export class VersionConflict extends Conflict {}
export class InvalidState extends Conflict {}
export class IdempotencyKeyReused extends ProblemError {}
export class PreconditionFailed extends ProblemError {}
export class RateLimited extends ProblemError {}
export class ServerError extends ProblemError {}

type ProblemClass = new (status: number, problem: Problem) => ProblemError;

const BY_CODE: Record<string, ProblemClass> = {
  validation_error: ValidationError,
  not_authenticated: AuthenticationError,
  permission_denied: PermissionDenied,
  not_found: NotFound,
  conflict: Conflict,
  insufficient_stock: InsufficientStock,
  version_conflict: VersionConflict,
  invalid_state: InvalidState,
  idempotency_key_reused: IdempotencyKeyReused,
  precondition_failed: PreconditionFailed,
  rate_limited: RateLimited,
};
const BY_STATUS: Record<number, ProblemClass> = {
  400: ValidationError, 401: AuthenticationError, 403: PermissionDenied, 404: NotFound, 409: Conflict,
  412: PreconditionFailed, 422: ValidationError, 429: RateLimited,
};

export async function problemFromResponse(response: Response): Promise<ProblemError> {
  const text = await response.text();
  let problem: Problem;
  try {
    const parsed = JSON.parse(text);
    problem = parsed && typeof parsed === "object" ? parsed : { detail: text.slice(0, 500) };
  } catch {
    problem = { detail: text.slice(0, 500) };
  }
  problem.requestId ??= response.headers.get("X-Request-Id") ?? undefined;
  const cls = BY_CODE[problem.code ?? ""] ?? BY_STATUS[response.status]
    ?? (response.status >= 500 ? ServerError : ProblemError);
  return new cls(response.status, problem);
}
