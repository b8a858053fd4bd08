import { describe, expect, it } from 'vitest';
import { InvalidOptionsError } from '../../src/errors.js';
import { checkMetricLabels, withMetricLabels } from '../../src/metrics-labels.js';
import type { MetricLabels, Metrics } from '../../src/observability.js';
import { resolveOptions } from '../../src/options.js';

class Recorder implements Metrics {
  readonly calls: [string, string, number | undefined, MetricLabels | undefined][] = [];
  increment(name: string, by?: number, labels?: MetricLabels): void {
    this.calls.push(['increment', name, by, labels]);
  }
  gauge(name: string, value: number, labels?: MetricLabels): void {
    this.calls.push(['gauge', name, value, labels]);
  }
  observe(name: string, value: number, labels?: MetricLabels): void {
    this.calls.push(['observe', name, value, labels]);
  }
}

describe('withMetricLabels', () => {
  it('adds the labels to every call, beside the call’s own', () => {
    const sink = new Recorder();
    const m = withMetricLabels(sink, { node: 'a' });
    m.increment('x_total');
    m.increment('y_total', 3, { reason: 'truncated' });
    m.gauge('g', 2, { state: 'alive' });
    m.observe('h_seconds', 0.5);
    expect(sink.calls).toEqual([
      ['increment', 'x_total', undefined, { node: 'a' }],
      ['increment', 'y_total', 3, { node: 'a', reason: 'truncated' }],
      ['gauge', 'g', 2, { node: 'a', state: 'alive' }],
      ['observe', 'h_seconds', 0.5, { node: 'a' }],
    ]);
  });

  it('returns the sink itself when there are no labels', () => {
    const sink = new Recorder();
    expect(withMetricLabels(sink, undefined)).toBe(sink);
    expect(withMetricLabels(sink, {})).toBe(sink);
  });
});

describe('metricLabels option', () => {
  it('defaults to no labels and keeps valid ones', () => {
    expect(resolveOptions({ name: 'a' }).metricLabels).toEqual({});
    expect(resolveOptions({ name: 'a', metricLabels: { node: 'a', dc: 'eu' } }).metricLabels).toEqual({ node: 'a', dc: 'eu' });
  });

  it.each([
    [{ 'bad-name': 'x' }, 'metricLabels.bad-name', /\[a-zA-Z_\]/],
    [{ __meta: 'x' }, 'metricLabels.__meta', /"__"/],
    [{ state: 'x' }, 'metricLabels.state', /hearsay's own metrics/],
    [{ node: 3 }, 'metricLabels.node', /must be a string/],
    ['node=a', 'metricLabels', /must be an object/],
  ])('rejects %j, naming %s', (labels, field, rule) => {
    let caught: unknown;
    try {
      resolveOptions({ name: 'a', metricLabels: labels as never });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(InvalidOptionsError);
    expect((caught as InvalidOptionsError).field).toBe(field);
    expect((caught as Error).message).toMatch(rule);
  });

  it('freezes the checked copy', () => {
    const source = { node: 'a' };
    const checked = checkMetricLabels(source);
    source.node = 'b';
    expect(checked).toEqual({ node: 'a' });
    expect(Object.isFrozen(checked)).toBe(true);
  });
});

describe('a node started with metricLabels', () => {
  it('reports every metric with its labels, so two nodes in one process write separate series', async () => {
    const { Simulator } = await import('../../src/testing/simulator.js');
    const sinks = { a: new Recorder(), b: new Recorder() };
    const sim = new Simulator({ seed: 3 });
    await sim.addNode('a', { options: { metrics: sinks.a, metricLabels: { node: 'a' } } });
    await sim.addNode('b', { options: { metrics: sinks.b, metricLabels: { node: 'b' } } });
    sim.join('b', 'a');
    expect(await sim.runUntil(() => sim.allSee(2), 10_000)).toBe(true);
    await sim.runFor(5_000);
    for (const [name, sink] of Object.entries(sinks)) {
      expect(sink.calls.length).toBeGreaterThan(10);
      expect(sink.calls.every(([, , , labels]) => labels?.node === name)).toBe(true);
    }
  });
});
