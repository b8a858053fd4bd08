/**
 * hearsay: gossip membership for Node.js — SWIM + Lifeguard, wire-compatible with HashiCorp
 * memberlist. If it isn't exported here, it isn't public API.
 * @module
 */
export { Hearsay, DEFAULT_LEAVE_TIMEOUT_MS } from './hearsay.js';
export type { JoinResult, NodeStatus, SignalOptions } from './hearsay.js';
export type {
  HearsayEvents,
  HealthEvent,
  IsolatedEvent,
  JoinEvent,
  MemberEvent,
  MemberSnapshot,
  MemberState,
  MemberVersions,
  MembersFilter,
  MessageEvent,
  PublishedEvent,
  RefuteEvent,
  SuspectEvent,
  SuspicionEvent,
  StateEvent,
  UpdateEvent,
} from './events.js';
export { ClusterState, WATCH_BUFFER } from './cluster-state.js';
export type { SetOptions } from './cluster-state.js';
export { STATE_DEFAULTS } from './state/limits.js';
export type { ResolvedStateOptions, StateOptions } from './state/limits.js';
export type { StateValue } from './state/replica.js';
export { lan, wan, local, resolveOptions, DEFAULT_WIRE_LIMITS, MAX_METADATA_BYTES } from './options.js';
export type {
  DelegateProtocol,
  HearsayOptions,
  Metadata,
  PresetName,
  ProtocolOptions,
  ResolvedOptions,
  WireLimits,
} from './options.js';
export {
  AbortError,
  ErrorCode,
  HearsayError,
  InvalidArgumentError,
  InvalidOptionsError,
  JoinError,
  JoinRefusedError,
  MetadataTooLargeError,
  NameConflictError,
  PayloadTooLargeError,
  RemoteError,
  StateError,
  TimeoutError,
  TransportError,
} from './errors.js';
export type { ErrorCodeValue, SeedFailure } from './errors.js';
export type { ConflictClaimant, ConflictEvent } from './hooks/conflict.js';
export type { AdmissionContext, AdmissionHook, AdmissionVia } from './hooks/admission.js';
export { METRIC, noopLogger, noopMetrics } from './observability.js';
export type { LogFields, Logger, MetricLabels, MetricName, Metrics } from './observability.js';
export type { DialOptions, StreamConnection, Transport, TransportHandlers } from './transport/transport.js';
export { UdpTransport } from './transport/udp.js';
export { Keyring } from './wire/keyring.js';
export { encodeMetadata } from './metadata.js';
/** The `userState` option: memberlist's `Delegate.LocalState` / `MergeRemoteState`. */
export type { UserStateHook } from './hooks/user-state.js';
/** The `ping` option: memberlist's `PingDelegate` (`AckPayload`, `NotifyPingComplete`). */
export type { PingHook, ProbeResult } from './hooks/ping.js';
