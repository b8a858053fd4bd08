/**
 * hearsay's options: one flat object, presets with memberlist's values, validated up front.
 *
 * Every duration ends in `Ms`. {@link lan}, {@link wan} and {@link local} return complete protocol
 * settings equal to memberlist's `DefaultLANConfig` / `DefaultWANConfig` / `DefaultLocalConfig`
 * (reference §6), so a hearsay node with defaults behaves to Go neighbours like a Go node with defaults.
 * @module
 */
import type { AdmissionHook } from './hooks/admission.js';
import { resolveStateOptions, STATE_DEFAULTS, type ResolvedStateOptions, type StateOptions } from './state/limits.js';
import type { Logger, MetricLabels, Metrics } from './observability.js';
import { checkMetricLabels } from './metrics-labels.js';
import type { Transport } from './transport/transport.js';
import { InvalidOptionsError } from './errors.js';
import { parseHostPort } from './address.js';
import { SERF_DELEGATE_PROTOCOL } from './serf/intents.js';
import { checkPingHook, type PingHook } from './hooks/ping.js';
import { checkUserStateHook, type UserStateHook } from './hooks/user-state.js';

/** memberlist's fixed metadata cap (`MetaMaxSize`), in bytes. */
export const MAX_METADATA_BYTES = 512;

/** Node metadata: string tags (sent serf-style: `0xFF` + msgpack map) or raw bytes passed through. */
export type Metadata = Readonly<Record<string, string>> | Uint8Array;

/** memberlist's delegate protocol byte range, carried in every `Vsn`. */
export interface DelegateProtocol {
  /** Lowest delegate protocol understood. memberlist default 0; serf 2. */
  readonly min: number;
  /** Highest delegate protocol understood. memberlist default 0; serf 5. */
  readonly max: number;
  /** Delegate protocol spoken. memberlist default 0; serf agent 5 (library 4). */
  readonly version: number;
}

/** The protocol and timing settings a preset fills in. All are overridable one by one. */
export interface ProtocolOptions {
  /** How often one member is probed, ms. LAN 1000, WAN 5000, local 1000. Must exceed `probeTimeoutMs`. */
  readonly probeIntervalMs: number;
  /** How long to wait for a direct ack before indirect probes start, ms. LAN 500, WAN 3000, local 200. Not scaled by health. */
  readonly probeTimeoutMs: number;
  /** Relays asked for an indirect probe when the direct one times out. LAN/WAN 3, local 1. */
  readonly indirectChecks: number;
  /** Gossip transmits per message = `retransmitMult × ⌈log10(n+1)⌉`. LAN/WAN 4, local 2. */
  readonly retransmitMult: number;
  /** Suspicion timeout min = `suspicionMult × max(1, log10(n)) × probeIntervalMs`. LAN 4, WAN 6, local 3. */
  readonly suspicionMult: number;
  /** Suspicion timeout max = `suspicionMaxTimeoutMult × min` (Lifeguard). 6 in every preset. */
  readonly suspicionMaxTimeoutMult: number;
  /** Full state exchange with one random member, ms, scaled up past 32 members; 0 disables. LAN 30000, WAN 60000, local 15000. */
  readonly pushPullIntervalMs: number;
  /** Gossip period, ms. LAN 200, WAN 500, local 100. */
  readonly gossipIntervalMs: number;
  /** Members gossiped to each period. LAN 3, WAN 4, local 3. */
  readonly gossipNodes: number;
  /** Dead members keep receiving gossip (so they can refute) and stay listed this long, ms. LAN 30000, WAN 60000, local 15000. */
  readonly gossipToTheDeadMs: number;
  /** Lifeguard local-health ceiling: the score runs 0…max−1 and scales probe waits by (score+1). 8 in every preset. */
  readonly awarenessMaxMultiplier: number;
  /** Deadline for one TCP exchange (push/pull, fallback ping, reliable send), ms. LAN 10000, WAN 30000, local 1000. */
  readonly tcpTimeoutMs: number;
  /** Skip the TCP fallback ping when UDP probes fail. Default false. */
  readonly disableTcpPings: boolean;
  /** Byte budget of one gossip datagram (memberlist `UDPBufferSize`). 1400. */
  readonly packetBudgetBytes: number;
  /** After this long dead, a member's name may be taken by a new address, ms; 0 = never (memberlist default). */
  readonly deadNodeReclaimMs: number;
}

/** Safety caps on what a peer may make us decode (reference §6, §7.18). */
export interface WireLimits {
  /** Most node states in one push/pull. Default 1,048,576 (memberlist v0.6). */
  readonly maxPushPullNodes: number;
  /** Longest stream frame (encrypted length, user state), bytes. Default 20 MiB. */
  readonly maxStreamBytes: number;
  /** Largest decompressed output, bytes. Default 40 MiB (memberlist after v0.6). */
  readonly maxDecompressedBytes: number;
  /** Longest reliable user message, bytes. Default 20 MiB. */
  readonly maxUserMessageBytes: number;
  /** Most parts in one compound; 255 is the format's own ceiling. */
  readonly maxCompoundParts: number;
  /** How deep compound/compress may nest inside one packet. Default 4. */
  readonly maxNestingDepth: number;
}

/** Default {@link WireLimits}. */
export const DEFAULT_WIRE_LIMITS: WireLimits = Object.freeze({
  maxPushPullNodes: 1_048_576,
  maxStreamBytes: 20 * 1024 * 1024,
  maxDecompressedBytes: 40 * 1024 * 1024,
  maxUserMessageBytes: 20 * 1024 * 1024,
  maxCompoundParts: 255,
  maxNestingDepth: 4,
});

/** Preset names. */
export type PresetName = 'lan' | 'wan' | 'local';

/** memberlist `DefaultLANConfig` timing. */
export function lan(): ProtocolOptions {
  return {
    probeIntervalMs: 1000,
    probeTimeoutMs: 500,
    indirectChecks: 3,
    retransmitMult: 4,
    suspicionMult: 4,
    suspicionMaxTimeoutMult: 6,
    pushPullIntervalMs: 30_000,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    gossipToTheDeadMs: 30_000,
    awarenessMaxMultiplier: 8,
    tcpTimeoutMs: 10_000,
    disableTcpPings: false,
    packetBudgetBytes: 1400,
    deadNodeReclaimMs: 0,
  };
}

/** memberlist `DefaultWANConfig` timing. */
export function wan(): ProtocolOptions {
  return {
    ...lan(),
    probeIntervalMs: 5000,
    probeTimeoutMs: 3000,
    suspicionMult: 6,
    pushPullIntervalMs: 60_000,
    gossipIntervalMs: 500,
    gossipNodes: 4,
    gossipToTheDeadMs: 60_000,
    tcpTimeoutMs: 30_000,
  };
}

/** memberlist `DefaultLocalConfig` timing. */
export function local(): ProtocolOptions {
  return {
    ...lan(),
    probeTimeoutMs: 200,
    indirectChecks: 1,
    retransmitMult: 2,
    suspicionMult: 3,
    pushPullIntervalMs: 15_000,
    gossipIntervalMs: 100,
    gossipToTheDeadMs: 15_000,
    tcpTimeoutMs: 1000,
  };
}

const PRESETS: Record<PresetName, () => ProtocolOptions> = { lan, wan, local };

/** What the host passes to `Hearsay.start()`. Only `name` is required. */
export interface HearsayOptions extends Partial<ProtocolOptions>, Partial<WireLimits> {
  /** This node's name, unique in the cluster. Required; 1–255 bytes of UTF-8. */
  readonly name: string;
  /** `host:port` to bind UDP and TCP on (same port for both). Default `0.0.0.0:7946`; port 0 picks a free port. */
  readonly bind?: string;
  /**
   * `host:port` peers should use to reach us. Default: the bound address; for a wildcard bind
   * (`0.0.0.0`, `::`) the first private IPv4 address (10/8, 172.16/12, 192.168/16, 100.64/10) of a
   * non-loopback interface, with the bound port (memberlist's `GetPrivateIP`). A wildcard bind on a
   * host with no such address makes `start()` reject with `InvalidOptionsError` naming `advertise`:
   * set it (memberlist: "No private IP address found, and explicit IP not provided").
   */
  readonly advertise?: string;
  /** Initial metadata; encoded size ≤ 512 bytes. Tags are encoded serf-style so `serf members` shows them. Default: no tags (`0xFF 0x80`). */
  readonly metadata?: Metadata;
  /** Timing preset; each field can still be overridden. Default `'lan'`. */
  readonly preset?: PresetName;
  /** AES-GCM keyring (16, 24 or 32 bytes each); the first key encrypts, all are tried on decrypt. Default: no encryption. */
  readonly secretKeys?: readonly Uint8Array[];
  /**
   * Accept unencrypted packets and streams while a keyring is set (memberlist `GossipVerifyIncoming`
   * = false): steps 1 and 2 of rolling encryption out, see {@link HearsayOptions.encryptOutgoing}.
   * Default false.
   */
  readonly allowUnencrypted?: boolean;
  /**
   * Encrypt what this node sends when a keyring is set (memberlist `GossipVerifyOutgoing`). Default
   * true; ignored without `secretKeys`. `false` sends plaintext while still decrypting what arrives,
   * and needs `allowUnencrypted: true`. Rolling a plaintext cluster over to encryption, restarting
   * one node at a time at each step: 1. keys everywhere with `encryptOutgoing: false,
   * allowUnencrypted: true`; 2. `encryptOutgoing: true` (the default) everywhere; 3.
   * `allowUnencrypted: false` (the default) everywhere.
   */
  readonly encryptOutgoing?: boolean;
  /** Cluster label (1–255 bytes) prefixed to every packet and stream (memberlist ≥ 0.3 only: breaks serf 0.9 / memberlist 0.2 peers). Default none. */
  readonly label?: string;
  /** LZW-compress outgoing messages as memberlist's `EnableCompression`. Default true. */
  readonly compression?: boolean;
  /** memberlist protocol version spoken (`ProtocolVersion`), 2–5. Default 2, as memberlist and serf. */
  readonly protocolVersion?: number;
  /**
   * Delegate protocol range sent in `Vsn`. Default `{min: 0, max: 0, version: 0}` (memberlist).
   * `'serf'` stands for serf's range, `{min: 2, max: 5, version: 4}`: needed to join serf agents
   * (they refuse a push/pull outside 2–5), and with it (or any range of min 2, max 5) `leave()`
   * sends serf's leave intent first, so serf agents show the node `left`, not `failed`.
   */
  readonly delegateProtocol?: DelegateProtocol | 'serf';
  /** Seed for the protocol's randomness (probe order, target picks). Default: random. */
  readonly randomSeed?: number;
  /** Replace the default UDP+TCP transport (tests: the memory transport). */
  readonly transport?: Transport;
  /** pino-style logger. Default silent. */
  readonly logger?: Logger;
  /** Metrics sink. Default silent. */
  readonly metrics?: Metrics;
  /**
   * Labels added to every metric this node reports, e.g. `{ node: 'api-1' }`, so several nodes
   * in one process write separate series (memberlist `MetricLabels`). Names follow Prometheus
   * (`[a-zA-Z_][a-zA-Z0-9_]*`, no leading `__`) and may not be one hearsay's metrics use
   * themselves (`state`, `reason`, `outcome`, `type`, `queue`, `hook`, `via`); values are strings. Default none.
   */
  readonly metricLabels?: MetricLabels;
  /**
   * Host state carried in every push/pull exchange, both ways (memberlist `Delegate.LocalState` /
   * `MergeRemoteState`; see {@link UserStateHook}). Default none: empty user state is sent, and
   * what peers send is dropped.
   */
  readonly userState?: UserStateHook;
  /**
   * Ack payloads and probe round trips (memberlist `PingDelegate`; see {@link PingHook}). Default
   * none: acks carry no payload, as serf expects from nodes that are not serf agents.
   */
  readonly ping?: PingHook;
  /**
   * A veto over new and changed members (memberlist `AliveDelegate` / `MergeDelegate`): per member
   * on gossip and periodic push/pull, the whole exchange on a join (a refused joiner's `join()`
   * fails with a `JoinRefusedError` cause). See {@link AdmissionHook}. Default: everyone is admitted.
   */
  readonly admission?: AdmissionHook;
  /**
   * The cluster state (`node.state`): limits and intervals (see {@link StateOptions}), or `false`
   * to turn it off (the node then announces no state feature and answers no state traffic).
   * Default on, with {@link STATE_DEFAULTS}; it sends nothing until some node writes a key.
   */
  readonly state?: StateOptions | false;
  /**
   * Periodic push/pull with hearsay peers that also announce it as a digest exchange: bucket hashes
   * first, then only the differing entries (docs/architecture.md, "Digest push/pull"). `false` keeps
   * memberlist's full push/pull with everyone. Off in effect with a `userState` hook. Default true.
   */
  readonly digestPushPull?: boolean;
}

/** Options after defaults and validation: every field present. */
export interface ResolvedOptions extends ProtocolOptions, WireLimits {
  readonly name: string;
  readonly bind: string;
  readonly advertise: string | undefined;
  readonly metadata: Metadata | undefined;
  readonly preset: PresetName;
  readonly secretKeys: readonly Uint8Array[];
  readonly allowUnencrypted: boolean;
  readonly encryptOutgoing: boolean;
  readonly label: string | undefined;
  readonly compression: boolean;
  readonly protocolVersion: number;
  readonly delegateProtocol: DelegateProtocol;
  readonly randomSeed: number | undefined;
  readonly transport: Transport | undefined;
  readonly logger: Logger | undefined;
  readonly metrics: Metrics | undefined;
  /** Validated and frozen; `{}` when none were given. */
  readonly metricLabels: MetricLabels;
  readonly userState: UserStateHook | undefined;
  readonly ping: PingHook | undefined;
  readonly admission: AdmissionHook | undefined;
  /** The cluster state's settings, or `false` when it is off. */
  readonly state: ResolvedStateOptions | false;
  readonly digestPushPull: boolean;
}

const utf8 = new TextEncoder();

function positiveInt(o: Record<string, unknown>, field: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new InvalidOptionsError(field, `must be an integer from ${min} to ${max}, got ${String(v)}`);
  }
}

/**
 * Applies the preset and defaults, then checks every field and the cross-field invariants.
 * @throws {InvalidOptionsError} naming the first bad field and its rule, or a key that is not an
 *   option (`probeInterval`) and the nearest one by edit distance (`probeIntervalMs`).
 */
export function resolveOptions(options: HearsayOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionsError('options', 'must be an object');
  const preset = options.preset ?? 'lan';
  if (!(preset in PRESETS)) throw new InvalidOptionsError('preset', `must be 'lan', 'wan' or 'local', got ${String(preset)}`);
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const base: ResolvedOptions = {
    ...PRESETS[preset](),
    ...DEFAULT_WIRE_LIMITS,
    bind: '0.0.0.0:7946',
    advertise: undefined,
    metadata: undefined,
    secretKeys: [],
    allowUnencrypted: false,
    encryptOutgoing: true,
    label: undefined,
    compression: true,
    protocolVersion: 2,
    delegateProtocol: { min: 0, max: 0, version: 0 },
    randomSeed: undefined,
    transport: undefined,
    logger: undefined,
    metrics: undefined,
    metricLabels: {},
    userState: undefined,
    ping: undefined,
    admission: undefined,
    state: STATE_DEFAULTS,
    digestPushPull: true,
    name: options.name,
    preset,
  };
  // Known keys are the resolved fields, so a new option is known the moment it has a default.
  for (const key of Object.keys(options)) {
    if (!(key in base)) throw new InvalidOptionsError(key, `is not a hearsay option; did you mean "${closest(key, Object.keys(base))}"?`);
  }
  if (defined.delegateProtocol === 'serf') defined.delegateProtocol = SERF_DELEGATE_PROTOCOL;
  const r: ResolvedOptions = { ...base, ...(defined as Partial<ResolvedOptions>), name: options.name, preset };
  const o = r as unknown as Record<string, unknown>;

  if (typeof r.name !== 'string' || r.name.length === 0 || utf8.encode(r.name).length > 255) {
    throw new InvalidOptionsError('name', 'must be a non-empty string of at most 255 UTF-8 bytes');
  }
  for (const field of ['bind', 'advertise'] as const) {
    const v = r[field];
    if (v !== undefined && (typeof v !== 'string' || parseHostPort(v) === undefined)) {
      throw new InvalidOptionsError(field, `must be "ip:port" or "[ipv6]:port" with a port 0–65535, got ${String(v)}`);
    }
  }
  for (const f of ['probeIntervalMs', 'probeTimeoutMs', 'gossipIntervalMs', 'tcpTimeoutMs'] as const) positiveInt(o, f, 1);
  for (const f of ['pushPullIntervalMs', 'gossipToTheDeadMs', 'deadNodeReclaimMs'] as const) positiveInt(o, f, 0);
  positiveInt(o, 'indirectChecks', 0, 64);
  positiveInt(o, 'retransmitMult', 1, 64);
  positiveInt(o, 'suspicionMult', 1, 64);
  positiveInt(o, 'suspicionMaxTimeoutMult', 1, 64);
  positiveInt(o, 'gossipNodes', 0, 64);
  positiveInt(o, 'awarenessMaxMultiplier', 1, 64);
  positiveInt(o, 'packetBudgetBytes', 128, 65_000);
  positiveInt(o, 'protocolVersion', 2, 5);
  positiveInt(o, 'maxPushPullNodes', 1);
  positiveInt(o, 'maxStreamBytes', 1024);
  positiveInt(o, 'maxDecompressedBytes', 1024);
  positiveInt(o, 'maxUserMessageBytes', 1);
  positiveInt(o, 'maxCompoundParts', 1, 255);
  positiveInt(o, 'maxNestingDepth', 1, 16);
  if (r.probeTimeoutMs >= r.probeIntervalMs) {
    throw new InvalidOptionsError('probeTimeoutMs', `must be less than probeIntervalMs (${r.probeIntervalMs}), got ${r.probeTimeoutMs}`);
  }
  if (typeof r.disableTcpPings !== 'boolean') throw new InvalidOptionsError('disableTcpPings', 'must be a boolean');
  for (const f of ['compression', 'digestPushPull'] as const) if (typeof r[f] !== 'boolean') throw new InvalidOptionsError(f, 'must be a boolean');
  if (typeof r.allowUnencrypted !== 'boolean') throw new InvalidOptionsError('allowUnencrypted', 'must be a boolean');
  if (typeof r.encryptOutgoing !== 'boolean') throw new InvalidOptionsError('encryptOutgoing', 'must be a boolean');
  const d = r.delegateProtocol;
  for (const k of ['min', 'max', 'version'] as const) {
    const v = d?.[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
      if (typeof d !== 'object' || d === null) throw new InvalidOptionsError('delegateProtocol', `must be 'serf' or {min, max, version}, got ${String(d)}`);
      throw new InvalidOptionsError(`delegateProtocol.${k}`, 'must be an integer from 0 to 255');
    }
  }
  if (d.min > d.max || d.version < d.min || d.version > d.max) {
    throw new InvalidOptionsError('delegateProtocol', `needs min ≤ version ≤ max, got ${d.min}/${d.version}/${d.max}`);
  }
  if (!Array.isArray(r.secretKeys)) throw new InvalidOptionsError('secretKeys', 'must be an array of Uint8Array keys');
  r.secretKeys.forEach((k, i) => {
    if (!(k instanceof Uint8Array) || ![16, 24, 32].includes(k.length)) {
      throw new InvalidOptionsError(`secretKeys[${i}]`, 'must be a Uint8Array of 16, 24 or 32 bytes (AES-128/192/256)');
    }
  });
  if (!r.encryptOutgoing && !r.allowUnencrypted && r.secretKeys.length > 0) {
    // Two such nodes could not talk: each sends plaintext and refuses it.
    throw new InvalidOptionsError('encryptOutgoing', 'false (sending plaintext) needs allowUnencrypted: true, or peers configured alike refuse each other');
  }
  if (r.label !== undefined) {
    const n = typeof r.label === 'string' ? utf8.encode(r.label).length : -1;
    if (n < 1 || n > 255) throw new InvalidOptionsError('label', 'must be a string of 1–255 UTF-8 bytes');
  }
  checkUserStateHook(r.userState);
  checkPingHook(r.ping);
  if (r.admission !== undefined && (typeof r.admission !== 'object' || r.admission === null || typeof r.admission.admit !== 'function')) {
    throw new InvalidOptionsError('admission', 'must be an object with an admit(member, context) method returning true, false or a reason string');
  }
  if (r.randomSeed !== undefined && (typeof r.randomSeed !== 'number' || !Number.isFinite(r.randomSeed))) {
    throw new InvalidOptionsError('randomSeed', 'must be a finite number');
  }
  const state = options.state === false ? false : resolveStateOptions(options.state);
  if (Array.isArray(state)) throw new InvalidOptionsError(state[0], state[1]);
  return Object.freeze({ ...r, state, metricLabels: checkMetricLabels(r.metricLabels) });
}

/** The candidate nearest to `key` by edit distance, ignoring case (`probeIntervalMS` → `probeIntervalMs`). */
function closest(key: string, candidates: readonly string[]): string {
  let best = candidates[0] ?? '';
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(key.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}
