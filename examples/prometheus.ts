/**
 * Metrics with prom-client: a `Metrics` adapter that turns hearsay's `increment` / `gauge` /
 * `observe` calls into prom-client counters, gauges and histograms, served on `/metrics`.
 * hearsay's metric names are valid Prometheus names as they are (see docs/metrics.md).
 *
 *   npx tsx examples/prometheus.ts
 *
 * Needs `npm i prom-client`. Several nodes in one process share one registry by labelling
 * their series (here the adapter's `labels`, e.g. `{ node: 'a' }`).
 */
import { createServer } from 'node:http';
import { Hearsay, type MetricLabels, type Metrics } from 'hearsay';
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';

/** Histogram buckets by unit suffix: probe round trips are milliseconds, durations seconds, sizes bytes. */
function buckets(name: string): number[] {
  if (name.endsWith('_milliseconds')) return [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000];
  if (name.endsWith('_bytes')) return [256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576];
  return [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
}

/**
 * A hearsay {@link Metrics} sink writing to a prom-client registry. Each metric is created on
 * first use with the label names of that first call (hearsay always reports one name with the
 * same label keys) plus the adapter's own `labels`.
 */
export class PromMetrics implements Metrics {
  constructor(
    private readonly registry: Registry,
    private readonly labels: MetricLabels = {},
  ) {}

  increment(name: string, by = 1, labels?: MetricLabels): void {
    const all = { ...this.labels, ...labels };
    this.metric(name, all, (labelNames) => new Counter({ name, help: `hearsay ${name}`, labelNames, registers: [this.registry] })).inc(all, by);
  }

  gauge(name: string, value: number, labels?: MetricLabels): void {
    const all = { ...this.labels, ...labels };
    this.metric(name, all, (labelNames) => new Gauge({ name, help: `hearsay ${name}`, labelNames, registers: [this.registry] })).set(all, value);
  }

  observe(name: string, value: number, labels?: MetricLabels): void {
    const all = { ...this.labels, ...labels };
    this.metric(name, all, (labelNames) => new Histogram({ name, help: `hearsay ${name}`, labelNames, buckets: buckets(name), registers: [this.registry] })).observe(all, value);
  }

  private metric<M extends Metric<string>>(name: string, labels: MetricLabels, create: (labelNames: string[]) => M): M {
    return (this.registry.getSingleMetric(name) as M | undefined) ?? create(Object.keys(labels));
  }
}

const registry = new Registry();
const a = await Hearsay.start({ name: 'a', bind: '127.0.0.1:0', preset: 'local', metrics: new PromMetrics(registry, { node: 'a' }) });
const b = await Hearsay.start({ name: 'b', bind: '127.0.0.1:0', preset: 'local', metrics: new PromMetrics(registry, { node: 'b' }) });
const server = createServer((req, res) => {
  void registry.metrics().then((text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text));
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  await b.join(a.localMember.address);
  // Wait for a successful probe round trip on each side, so every family has a sample.
  const rtt = async (): Promise<boolean> => {
    const values = (await registry.getSingleMetric('hearsay_probe_rtt_milliseconds')?.get())?.values ?? [];
    // Histogram values carry their series name (`…_count`, `…_sum`, `…_bucket`) beside the value.
    return values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.value > 0).length >= 2;
  };
  const deadline = Date.now() + 10_000;
  while (!(await rtt())) {
    if (Date.now() > deadline) throw new Error('no probe round trip within 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const { port } = server.address() as { port: number };
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  // Print the scrape, minus HELP/TYPE lines and histogram buckets, for reading.
  for (const line of text.split('\n')) if (line.startsWith('hearsay_') && !line.includes('_bucket')) console.log(line);
} finally {
  server.close();
  await Promise.all([a.shutdown(), b.shutdown()]);
}
