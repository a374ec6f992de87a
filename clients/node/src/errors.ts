// errors.ts: the one error every call rejects with, whether the service refused the call or the
// client could not complete it.
import { Code, Reason } from "./gen/phoneauth/v1/rpc_pb.js";

/** A canonical status name: "OK", "INVALID_ARGUMENT", "FAILED_PRECONDITION", ... */
export type CodeName = keyof typeof Code;

/**
 * The service's reasons ("SUBSCRIPTION_MISMATCH", "CODE_INVALID", ...) plus the client's own:
 * NOT_CONNECTED (no connection within the call's time), CONNECTION_LOST (the connection closed
 * with the call in flight: it may or may not have run), CLIENT_TIMEOUT, ABORTED (the caller's
 * AbortSignal), BAD_REPLY (a reply that is not a phoneauth envelope), CLIENT_CLOSED.
 */
export type ReasonName =
  | keyof typeof Reason
  | "NOT_CONNECTED"
  | "CONNECTION_LOST"
  | "CLIENT_TIMEOUT"
  | "ABORTED"
  | "BAD_REPLY"
  | "CLIENT_CLOSED";

const HTTP_STATUS: Partial<Record<CodeName, number>> = {
  CANCELLED: 499,
  INVALID_ARGUMENT: 400,
  DEADLINE_EXCEEDED: 504,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  PERMISSION_DENIED: 403,
  RESOURCE_EXHAUSTED: 429,
  FAILED_PRECONDITION: 400,
  ABORTED: 409,
  OUT_OF_RANGE: 400,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  UNAUTHENTICATED: 401,
};

/** The message a page shows when the client itself could not reach the service. */
export const UNAVAILABLE_MESSAGE = "The service is unavailable. Please try again.";

export interface PhoneauthErrorInit {
  code: CodeName;
  reason: ReasonName;
  message: string;
  retryAfterS?: number;
  attemptsLeft?: number;
  method?: string;
  detail?: string;
  fromServer?: boolean;
}

/**
 * A call that did not succeed. `message` is the user-facing text: from the service, it is what
 * the site shows the person verbatim; from the client (fromServer false) it is a generic
 * "The service is unavailable. Please try again." or similar, and `detail` says what happened
 * for the logs.
 */
export class PhoneauthError extends Error {
  override readonly name = "PhoneauthError";
  readonly code: CodeName;
  readonly reason: ReasonName;
  /** Seconds until trying again makes sense; 0 when not applicable. */
  readonly retryAfterS: number;
  /** Set when a code was checked: the tries left. */
  readonly attemptsLeft: number | undefined;
  /** "/phoneauth.v1.Auth/StartSignup" */
  readonly method: string;
  /** For logs, never for pages: what the client saw (socket error, bad frame, ...). */
  readonly detail: string;
  /** True when the service answered with this status; false when the client made it up. */
  readonly fromServer: boolean;

  constructor(init: PhoneauthErrorInit) {
    super(init.message);
    this.code = init.code;
    this.reason = init.reason;
    this.retryAfterS = init.retryAfterS ?? 0;
    this.attemptsLeft = init.attemptsLeft;
    this.method = init.method ?? "";
    this.detail = init.detail ?? "";
    this.fromServer = init.fromServer ?? false;
  }

  /** An HTTP status for a route handler to answer with (400, 401, 403, 404, 409, 429, 503...). */
  get httpStatus(): number {
    return HTTP_STATUS[this.code] ?? 500;
  }

  /** What a route handler can send to the page as is. */
  toJSON(): {
    code: CodeName;
    reason: ReasonName;
    message: string;
    retryAfterS: number;
    attemptsLeft?: number;
  } {
    const out: ReturnType<PhoneauthError["toJSON"]> = {
      code: this.code,
      reason: this.reason,
      message: this.message,
      retryAfterS: this.retryAfterS,
    };
    if (this.attemptsLeft !== undefined) out.attemptsLeft = this.attemptsLeft;
    return out;
  }
}

export function codeName(n: number): CodeName {
  return (Code[n] as CodeName | undefined) ?? "UNKNOWN";
}

export function reasonName(n: number): ReasonName {
  return (Reason[n] as ReasonName | undefined) ?? "REASON_UNSPECIFIED";
}

/** A client-side failure: the page gets a generic message, the log the detail. */
export function clientError(
  code: CodeName,
  reason: ReasonName,
  method: string,
  detail: string,
  message = UNAVAILABLE_MESSAGE,
): PhoneauthError {
  return new PhoneauthError({ code, reason, message, method, detail, fromServer: false });
}
