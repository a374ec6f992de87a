// @phoneauth/client: phoneauth's Auth and Admin RPCs for Node, over NNG's SP REQ/REP protocol.
export { Auth, Admin } from "./client.js";
export type { AuthOptions, AdminOptions, ClientOptions, CallOptions, Reply, ReplyMeta, ServiceClient } from "./client.js";
export type { TransportOptions } from "./transport.js";
export type { TlsOptions } from "./sp.js";
export { PhoneauthError, UNAVAILABLE_MESSAGE } from "./errors.js";
export type { CodeName, ReasonName, PhoneauthErrorInit } from "./errors.js";
export * from "./gen/phoneauth/v1/rpc_pb.js";
export * from "./gen/phoneauth/v1/auth_pb.js";
export * from "./gen/phoneauth/v1/admin_pb.js";
export { Auth as AuthService } from "./gen/phoneauth/v1/auth_pb.js";
export { Admin as AdminService } from "./gen/phoneauth/v1/admin_pb.js";
