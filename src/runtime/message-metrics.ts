/**
 * Per-message-type counters (memberlist's `msg.*` family, broadened to every type): what a node
 * sends and receives, a compound's parts counted one by one. Label objects are built once per
 * type, and nothing is parsed when the host set no metrics sink.
 * @module
 */
import { METRIC, noopMetrics, type MetricLabels, type Metrics } from '../observability.js';
import { MessageType, TYPE_NAMES } from '../wire/messages.js';

/** Counts messages by type into a {@link Metrics} sink. */
export class MessageMetrics {
  private readonly labels = new Map<string, MetricLabels>();
  /** False for the no-op sink: then callers skip the work of finding types. */
  readonly enabled: boolean;

  constructor(private readonly metrics: Metrics) {
    this.enabled = metrics !== noopMetrics;
  }

  /** Counts one message of `type` (a message union's `type`, e.g. `alive`, `push-pull`). */
  count(name: string, type: string): void {
    let labels = this.labels.get(type);
    if (labels === undefined) {
      labels = Object.freeze({ type });
      this.labels.set(type, labels);
    }
    this.metrics.increment(name, 1, labels);
  }

  /** Counts the messages of one unsealed datagram payload: the message, or each part of a compound. */
  sentPayload(payload: Uint8Array): void {
    if (!this.enabled) return;
    if (payload[0] !== MessageType.compound) {
      this.count(METRIC.messagesSent, TYPE_NAMES[payload[0] ?? -1] ?? 'unknown');
      return;
    }
    // 07 n len16be×n part×n: walk the parts by their lengths.
    const n = payload[1] ?? 0;
    let at = 2 + 2 * n;
    for (let i = 0; i < n && at < payload.length; i++) {
      this.count(METRIC.messagesSent, TYPE_NAMES[payload[at] ?? -1] ?? 'unknown');
      at += ((payload[2 + 2 * i] ?? 0) << 8) | (payload[3 + 2 * i] ?? 0);
    }
  }
}
