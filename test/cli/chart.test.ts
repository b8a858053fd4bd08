/** `simulate`'s chart data and SVG: plurals, a readable detection CDF, bandwidth over time. */
import { describe, expect, it } from 'vitest';
import { axisStart, BandwidthTrace, cdfPoints, plural } from '../../src/cli/chart-data.js';
import { renderChart, ticks } from '../../src/cli/svg.js';
import type { Simulator } from '../../src/testing/simulator.js';

describe('plural', () => {
  it('says 1 crash and 2 crashes', () => {
    expect(plural(1, 'crash', 'crashes')).toBe('1 crash');
    expect(plural(2, 'crash', 'crashes')).toBe('2 crashes');
    expect(plural(1, 'observer')).toBe('1 observer');
    expect(plural(0, 'observer')).toBe('0 observers');
  });
});

describe('detection CDF', () => {
  const detections = [8.45, 8.1, 8.3, 8.2];

  it('is a step line from 0 at the axis start to 1 at the slowest detection', () => {
    const pts = cdfPoints(detections, 8);
    expect(pts[0]).toEqual([8, 0]);
    expect(pts.at(-1)).toEqual([8.45, 1]);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThanOrEqual(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1]);
    }
  });

  it('starts its axis just below the data when the data is far from 0, at 0 otherwise', () => {
    expect(axisStart(detections)).toBe(8);
    expect(axisStart([10.8, 11.07])).toBe(10.6);
    expect(axisStart([12, 30])).toBe(7);
    expect(axisStart([0.2, 3])).toBe(0);
    expect(axisStart([])).toBe(0);
  });

  it('spreads the curve across the panel instead of squeezing it at the right edge', () => {
    const svg = renderChart([{ title: 't', xLabel: 'x', yLabel: 'y', yMax: 1, xMin: 8, series: [{ label: 's', points: cdfPoints(detections, 8), color: '#000' }] }], 'c');
    const xs = [...svg.matchAll(/[ML](\d+(?:\.\d+)?),/g)].map((m) => Number(m[1]));
    // The panel's plot area spans x = 60 … 500; the curve must use most of it.
    expect(Math.min(...xs)).toBeCloseTo(60, 0);
    expect(Math.max(...xs)).toBeCloseTo(500, 0);
    expect(xs.filter((x) => x < 300).length).toBeGreaterThan(2);
  });

  it('labels ticks inside the range, with round steps', () => {
    expect(ticks(8, 8.45)).toEqual([8, 8.05, 8.1, 8.15, 8.2, 8.25, 8.3, 8.35, 8.4, 8.45]);
    expect(ticks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(ticks(10.7, 11.07).every((t) => t >= 10.7 && t <= 11.07)).toBe(true);
  });
});

describe('BandwidthTrace', () => {
  it('turns cumulative byte counters into bytes per node per second per interval', () => {
    const fake = { now: 0, network: { sent: { packets: 0, bytes: 0, byType: new Map() } } };
    const trace = new BandwidthTrace(fake as unknown as Simulator, 10);
    fake.now = 1000;
    fake.network.sent.bytes = 50_000; // 5 000 B/node/s over the first second
    trace.record();
    fake.now = 1100; // too short an interval on its own: merged into the next
    fake.network.sent.bytes = 50_500;
    trace.record();
    fake.now = 3000;
    fake.network.sent.bytes = 60_000; // 10 000 B over 2 s for 10 nodes = 500 B/node/s
    trace.record();
    expect(trace.series()).toEqual([
      [0, 5000],
      [1, 5000],
      [1, 500],
      [3, 500],
    ]);
  });
});
