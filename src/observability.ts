/**
 * Optional logging and metrics hooks, silent by default, and the stable list of metric names.
 * @module
 */

/** Structured fields attached to a log line. */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * A pino-style logger: `(fields, msg)` argument order, so a pino logger passes as is.
 * hearsay's core logs only at debug; the `Hearsay` class warns only about facts the host should act on.
 */
export interface Logger {
  debug(fields: LogFields, msg: string): void;
  info(fields: LogFields, msg: string): void;
  warn(fields: LogFields, msg: string): void;
  error(fields: LogFields, msg: string): void;
}

/** Metric labels: small, bounded sets of string values. */
export type MetricLabels = Readonly<Record<string, string>>;

/**
 * A metrics sink that maps onto prom-client or OpenTelemetry: `increment` feeds a counter,
 * `gauge` sets a gauge, `observe` records one sample of a histogram or summary. Names come from
 * {@link METRIC}; each name is always reported through the same method with the same label keys.
 */
export interface Metrics {
  increment(name: string, by?: number, labels?: MetricLabels): void;
  gauge(name: string, value: number, labels?: MetricLabels): void;
  observe(name: string, value: number, labels?: MetricLabels): void;
}

/** A logger that drops everything: the default. */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

/** A metrics sink that drops everything: the default. */
export const noopMetrics: Metrics = Object.freeze({
  increment() {},
  gauge() {},
  observe() {},
});

/**
 * Stable metric names, valid Prometheus names as they are: snake_case, `_total` on counters, the
 * unit as a suffix. Append only: dashboards depend on them. The keys are the names code uses;
 * `docs/metrics.md` lists each with its type, labels and the memberlist metric it corresponds to
 * (a test keeps that list and this object in step). Labels noted in braces; the host's
 * `metricLabels` option adds its own to every one.
 */
export const METRIC = {
  /** Counter: probes that ended without any ack, direct or indirect. */
  probeFailed: 'hearsay_probe_failures_total',
  /** Histogram: round-trip time of successful direct probes, in milliseconds. */
  probeRttMs: 'hearsay_probe_rtt_milliseconds',
  /** Gauge: Lifeguard local health score (0 = healthy). */
  healthScore: 'hearsay_health_score',
  /** Counter: independent suspicion confirmations received (Lifeguard). */
  suspectConfirmations: 'hearsay_suspect_confirmations_total',
  /** Counter: suspicions shortened because the member's host refused our TCP fallback ping (its process is gone). */
  refusedSuspicions: 'hearsay_refused_suspicions_total',
  /** Gauge: members by state {state}. */
  members: 'hearsay_members',
  /** Counter: inbound packets, messages or streams dropped {reason}. */
  packetsDropped: 'hearsay_packets_dropped_total',
  /** Counter: UDP datagrams sent. */
  packetsSent: 'hearsay_udp_packets_sent_total',
  /** Counter: UDP datagrams received. */
  packetsReceived: 'hearsay_udp_packets_received_total',
  /** Counter: bytes sent in UDP datagrams. */
  bytesSent: 'hearsay_udp_sent_bytes_total',
  /** Counter: bytes received in UDP datagrams. */
  bytesReceived: 'hearsay_udp_received_bytes_total',
  /** Counter: refutations of suspicion or death about ourselves. */
  refutations: 'hearsay_refutations_total',
  /** Counter: push/pull state exchanges {outcome}. */
  pushPull: 'hearsay_push_pulls_total',
  /** Counter: event-loop stalls detected by the runtime. */
  loopStalls: 'hearsay_event_loop_stalls_total',
  /** Counter: probe cycles abandoned because a tick found them still open past their deadline (a lost `probe-end` timer). */
  probeAbandoned: 'hearsay_probe_abandoned_total',
  /** Counter: protocol messages sent, a compound's parts counted one by one {type}. */
  messagesSent: 'hearsay_messages_sent_total',
  /** Counter: protocol messages received and decoded {type}. */
  messagesReceived: 'hearsay_messages_received_total',
  /** Counter: bytes written to TCP streams. */
  tcpSentBytes: 'hearsay_tcp_sent_bytes_total',
  /** Counter: inbound TCP streams accepted. */
  tcpAccepted: 'hearsay_tcp_accepted_total',
  /** Counter: outbound TCP streams dialled. */
  tcpConnects: 'hearsay_tcp_connects_total',
  /** Gauge: messages waiting in a broadcast queue {queue}. */
  broadcastQueueDepth: 'hearsay_broadcast_queue_depth',
  /** Histogram: one probe, from the ping to the ack or the end of the probe interval, in seconds. */
  probeDurationSeconds: 'hearsay_probe_duration_seconds',
  /** Histogram: time spent building and sending one gossip round, in seconds. */
  gossipDurationSeconds: 'hearsay_gossip_duration_seconds',
  /** Histogram: one outbound push/pull exchange, dial to merged reply, in seconds. */
  pushPullDurationSeconds: 'hearsay_push_pull_duration_seconds',
  /** Counter: probes started while the local health score was above 0 (Lifeguard). */
  degradedProbes: 'hearsay_degraded_probes_total',
  /** Counter: suspicion timeouts that fired before every expected confirmation arrived. */
  degradedTimeouts: 'hearsay_degraded_timeouts_total',
  /** Gauge: size of the local state last sent in a push/pull, in bytes. */
  pushPullLocalBytes: 'hearsay_push_pull_local_state_bytes',
  /** Histogram: size of a remote state received in a push/pull, in bytes. */
  pushPullRemoteBytes: 'hearsay_push_pull_remote_state_bytes',
  /** Counter: isolations this node came back from (every probe unanswered, then an answer; `self:isolated`). No memberlist equivalent. */
  isolations: 'hearsay_isolations_total',
  /** Counter: calls of a host hook that threw or returned something unusable {hook}: `userState.local`, `userState.merge`, `ping.ackPayload`, `ping.onProbe`. */
  hookFailures: 'hearsay_hook_failures_total',
  /** Counter: new or changed members the admission hook vetoed {via} (memberlist logs "ignoring alive message"). */
  admissionVetoes: 'hearsay_admission_vetoes_total',
  /** Counter: admission hook calls that threw or returned something other than a boolean or a string (each a veto). */
  admissionHookErrors: 'hearsay_admission_hook_errors_total',
} as const;
/** One of the {@link METRIC} names. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];

