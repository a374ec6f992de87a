// client.ts: the Auth and Admin clients. Each RPC is one method, built from the service
// descriptor that protoc-gen-es generated from proto/, so the clients follow the .proto files.
// A call wraps its request in a RequestEnvelope (method path, request id, deadline, caller
// metadata), sends it over the transport once, and unwraps the ResponseEnvelope: OK gives the
// typed response, anything else rejects with a PhoneauthError.
import { randomBytes } from "node:crypto";

import { create, fromBinary, toBinary, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import type { GenService, GenServiceMethods } from "@bufbuild/protobuf/codegenv2";
import type { DescMethod, DescService } from "@bufbuild/protobuf";

import { Admin as AdminService } from "./gen/phoneauth/v1/admin_pb.js";
import { Auth as AuthService } from "./gen/phoneauth/v1/auth_pb.js";
import { Code, RequestEnvelopeSchema, ResponseEnvelopeSchema } from "./gen/phoneauth/v1/rpc_pb.js";
import { clientError, codeName, PhoneauthError, reasonName } from "./errors.js";
import { Transport, type TransportOptions } from "./transport.js";

export interface ClientOptions extends TransportOptions {
  /** A call's time when the call does not say (default 10 000 ms); sent as deadline_unix_ms. */
  timeoutMs?: number;
}

export interface AuthOptions extends ClientOptions {
  /** The Auth listener's PHONEAUTH_CLIENT_TOKEN, when it requires one. */
  clientToken?: string;
}

export interface AdminOptions extends ClientOptions {
  /** The service's PHONEAUTH_ADMIN_TOKEN: every Admin call needs it. */
  adminToken: string;
}

export interface CallOptions {
  /** The end user's IP as the site saw it; per-IP limits count it. */
  endUserIp?: string;
  /** The end user's User-Agent, for the audit trail. */
  userAgent?: string;
  /** The end user's language (BCP 47: "es", "id-ID"): replies' messages and the code's text. */
  locale?: string;
  /** The token the site's captcha widget gave the end user, when the service asks for one. */
  captchaToken?: string;
  /** Cancels the call: it rejects with CANCELLED / ABORTED (the service may still run it). */
  signal?: AbortSignal;
  /** This call's time, instead of the client's timeoutMs. */
  timeoutMs?: number;
}

/** What the envelope of a successful reply adds to the response message. */
export interface ReplyMeta {
  /** The user-facing text, e.g. "An OTP has been sent to your mobile number. ..."; may be "". */
  readonly message: string;
  readonly retryAfterS: number;
  readonly attemptsLeft?: number;
}

/** A method's typed response, with the envelope's message. */
export type Reply<T> = T & ReplyMeta;

type MethodsOf<S> = S extends GenService<infer M extends GenServiceMethods> ? M : never;

/** One async method per RPC of the service S, named like protoc-gen-es names them. */
export type ServiceClient<S> = {
  [K in keyof MethodsOf<S>]: (
    request?: MessageInitShape<MethodsOf<S>[K]["input"]>,
    options?: CallOptions,
  ) => Promise<Reply<MessageShape<MethodsOf<S>[K]["output"]>>>;
};

class Core {
  readonly transport: Transport;
  private readonly timeoutMs: number;
  private readonly idPrefix = randomBytes(8).toString("hex");
  private seq = 0;

  constructor(
    o: ClientOptions,
    private readonly tokens: { client?: string; admin?: string },
  ) {
    if (typeof o?.url !== "string") throw new TypeError("phoneauth: options.url is required");
    this.transport = new Transport(o);
    this.timeoutMs = o.timeoutMs ?? 10_000;
  }

  async call(service: DescService, m: DescMethod, input: unknown, opts: CallOptions = {}): Promise<unknown> {
    const path = `/${service.typeName}/${m.name}`;
    const req = create(m.input, (input ?? {}) as never);
    const deadline = Date.now() + (opts.timeoutMs ?? this.timeoutMs);
    const requestId = `${this.idPrefix}-${++this.seq}`;
    const env = create(RequestEnvelopeSchema, {
      method: path,
      requestId,
      deadlineUnixMs: BigInt(deadline),
      caller: {
        endUserIp: opts.endUserIp ?? "",
        userAgent: opts.userAgent ?? "",
        locale: opts.locale ?? "",
        captchaToken: opts.captchaToken ?? "",
        clientToken: this.tokens.client ?? "",
        adminToken: this.tokens.admin ?? "",
      },
      payload: toBinary(m.input, req),
    });
    const body = await this.transport.roundTrip(path, toBinary(RequestEnvelopeSchema, env), deadline, opts.signal);
    let renv;
    try {
      renv = fromBinary(ResponseEnvelopeSchema, body);
    } catch (e) {
      throw clientError("INTERNAL", "BAD_REPLY", path, `the reply is not a ResponseEnvelope: ${(e as Error).message}`);
    }
    if (renv.requestId !== "" && renv.requestId !== requestId)
      throw clientError("INTERNAL", "BAD_REPLY", path, `the reply is for request ${renv.requestId}, not ${requestId}`);
    if (renv.code !== Code.OK) {
      throw new PhoneauthError({
        code: codeName(renv.code),
        reason: reasonName(renv.reason),
        message: renv.message,
        retryAfterS: renv.retryAfterS,
        attemptsLeft: renv.attemptsLeft?.value,
        method: path,
        fromServer: true,
      });
    }
    let out;
    try {
      out = fromBinary(m.output, renv.payload);
    } catch (e) {
      throw clientError("INTERNAL", "BAD_REPLY", path, `the reply's payload is not a ${m.output.typeName}: ${(e as Error).message}`);
    }
    const meta: { message: string; retryAfterS: number; attemptsLeft?: number } = {
      message: renv.message,
      retryAfterS: renv.retryAfterS,
    };
    if (renv.attemptsLeft !== undefined) meta.attemptsLeft = renv.attemptsLeft.value;
    return Object.assign(out, meta);
  }
}

function bind(target: object, core: Core, service: DescService): void {
  for (const m of service.methods) {
    Object.defineProperty(target, m.localName, {
      value: (input?: unknown, opts?: CallOptions) => core.call(service, m, input, opts),
      enumerable: false,
    });
  }
}

/**
 * The site backend's client: one method per Auth RPC (linkSubscription, startSignup, resendCode,
 * verifyCode, createAccount, registerAccount (alias register), login, validateSession, logout,
 * startPasswordReset, completePasswordReset, health). Create one per process and share it.
 */
export interface Auth extends ServiceClient<typeof AuthService> {}
export class Auth {
  private readonly core: Core;

  constructor(options: AuthOptions) {
    this.core = new Core(options, { client: options?.clientToken });
    bind(this, this.core, AuthService);
  }

  /** The spec's `Register`: the .proto calls it RegisterAccount. */
  register(
    request?: MessageInitShape<(typeof AuthService)["method"]["registerAccount"]["input"]>,
    options?: CallOptions,
  ): ReturnType<Auth["registerAccount"]> {
    return this.registerAccount(request, options);
  }

  /** Closes the connections; calls still in flight reject with CLIENT_CLOSED. */
  close(): void {
    this.core.transport.close();
  }
}

/**
 * The admin tooling's client, for the Admin listener (PHONEAUTH_ADMIN_URL): listUsers, getUser,
 * listAuditEvents, listMessages, stats, verifyAudit, listBreakers, rearmBreaker. Every call
 * carries the admin token.
 */
export interface Admin extends ServiceClient<typeof AdminService> {}
export class Admin {
  private readonly core: Core;

  constructor(options: AdminOptions) {
    if (typeof options?.adminToken !== "string" || options.adminToken === "")
      throw new TypeError("phoneauth: options.adminToken is required for the Admin client");
    this.core = new Core(options, { admin: options.adminToken });
    bind(this, this.core, AdminService);
  }

  close(): void {
    this.core.transport.close();
  }
}
