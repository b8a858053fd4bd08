/**
 * The `metricLabels` option: labels the host adds to every metric, so that two nodes in one
 * process (or one scrape target) write separate series.
 * @module
 */
import { InvalidOptionsError } from './errors.js';
import type { MetricLabels, Metrics } from './observability.js';

/** Label names hearsay's own metrics use; `metricLabels` may not take them, or it would overwrite them. */
export const RESERVED_METRIC_LABELS: readonly string[] = Object.freeze(['state', 'reason', 'outcome', 'type', 'queue', 'hook', 'via']);

/** Prometheus's label-name rule; names starting `__` are reserved for Prometheus itself. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * Checks a `metricLabels` value and returns a frozen copy.
 * @throws {InvalidOptionsError} naming the bad label: not an object, a name Prometheus rejects,
 * a name hearsay uses itself ({@link RESERVED_METRIC_LABELS}), or a value that is not a string.
 */
export function checkMetricLabels(labels: unknown): MetricLabels {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
    throw new InvalidOptionsError('metricLabels', 'must be an object of string labels, e.g. { node: "api-1" }');
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      throw new InvalidOptionsError(`metricLabels.${name}`, 'label names must match [a-zA-Z_][a-zA-Z0-9_]* and not start with "__" (Prometheus)');
    }
    if (RESERVED_METRIC_LABELS.includes(name)) {
      throw new InvalidOptionsError(`metricLabels.${name}`, `is a label hearsay's own metrics use (${RESERVED_METRIC_LABELS.join(', ')}); pick another name`);
    }
    if (typeof value !== 'string') throw new InvalidOptionsError(`metricLabels.${name}`, `must be a string, got ${typeof value}`);
    out[name] = value;
  }
  return Object.freeze(out);
}

/**
 * Wraps a {@link Metrics} sink so every call carries `labels` besides its own. With no labels it
 * returns `metrics` itself, so the default costs nothing. A call's own labels (`state`, `reason`,
 * …) never collide with the host's: {@link checkMetricLabels} rejects those names.
 *
 * Calls without labels of their own (most of them: one per datagram) share one frozen object
 * rather than allocating a merged copy each time.
 */
export function withMetricLabels(metrics: Metrics, labels: MetricLabels | undefined): Metrics {
  if (labels === undefined || Object.keys(labels).length === 0) return metrics;
  const base = Object.freeze({ ...labels });
  const merge = (own: MetricLabels | undefined): MetricLabels => (own === undefined ? base : { ...base, ...own });
  return {
    increment: (name, by, own) => metrics.increment(name, by, merge(own)),
    gauge: (name, value, own) => metrics.gauge(name, value, merge(own)),
    observe: (name, value, own) => metrics.observe(name, value, merge(own)),
  };
}
