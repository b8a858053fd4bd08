/**
 * Optional logging and metrics hooks, silent by default.
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

/** A metrics sink that maps onto prom-client or OpenTelemetry counters, gauges and histograms. */
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
 * Stable metric names. Append only: dashboards depend on them.
 * Labels noted in brackets.
 */
export const METRIC = {
  /** Counter: probes that ended without an ack. */
  probeFailed: 'hearsay.probe.failed',
  /** Histogram: round-trip time of successful direct probes, ms. */
  probeRttMs: 'hearsay.probe.rtt_ms',
  /** Gauge: Lifeguard local health score (0 = healthy). */
  healthScore: 'hearsay.health.score',
  /** Counter: independent suspicion confirmations received. */
  suspectConfirmations: 'hearsay.suspect.confirmations',
  /** Gauge: members by state {state}. */
  members: 'hearsay.members',
  /** Counter: inbound packets or messages dropped {reason}. */
  packetsDropped: 'hearsay.packets.dropped',
  /** Counter: datagrams sent. */
  packetsSent: 'hearsay.packets.sent',
  /** Counter: datagrams received. */
  packetsReceived: 'hearsay.packets.received',
  /** Counter: bytes sent in datagrams. */
  bytesSent: 'hearsay.bytes.sent',
  /** Counter: bytes received in datagrams. */
  bytesReceived: 'hearsay.bytes.received',
  /** Counter: refutations of suspicion about ourselves. */
  refutations: 'hearsay.self.refutations',
  /** Counter: push/pull exchanges {outcome}. */
  pushPull: 'hearsay.pushpull',
  /** Counter: event-loop stalls detected by the runtime. */
  loopStalls: 'hearsay.runtime.stalls',
  /** Counter: probe cycles abandoned because a tick found them still open past their deadline (a lost `probe-end` timer). */
  probeAbandoned: 'hearsay.probe.abandoned',
  /** Counter: isolations this node came back from (every probe unanswered, then an answer; `self:isolated`). No memberlist equivalent. */
  isolations: 'hearsay.self.isolations',
} as const;
/** One of the {@link METRIC} names. */
export type MetricName = (typeof METRIC)[keyof typeof METRIC];
