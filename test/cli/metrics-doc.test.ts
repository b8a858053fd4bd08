/**
 * docs/metrics.md is the operator's list of metrics: it must name exactly what `METRIC` exports,
 * and every name must be one Prometheus accepts with the suffix its type calls for.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METRIC } from '../../src/observability.js';

interface Row {
  readonly key: string;
  readonly name: string;
  readonly type: string;
  readonly memberlist: string;
}

function docRows(): Row[] {
  const text = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    // | `key` | `name` | type | labels | memberlist | emitted |
    const key = /^`(\w+)`$/.exec(cells[1] ?? '');
    const name = /^`(\w+)`$/.exec(cells[2] ?? '');
    if (key && name) rows.push({ key: key[1]!, name: name[1]!, type: cells[3]!, memberlist: cells[5]! });
  }
  return rows;
}

describe('docs/metrics.md', () => {
  const rows = docRows();

  it('lists every METRIC key with its exported name, and nothing else', () => {
    expect(Object.fromEntries(rows.map((r) => [r.key, r.name]))).toEqual({ ...METRIC });
    expect(rows).toHaveLength(Object.keys(METRIC).length);
  });

  it('gives each metric a Prometheus-valid name whose suffix fits its type', () => {
    for (const r of rows) {
      expect(r.name, r.key).toMatch(/^hearsay_[a-z0-9_]+$/);
      expect(['C', 'G', 'H'], `${r.key} type`).toContain(r.type);
      if (r.type === 'C') expect(r.name, `${r.key} is a counter`).toMatch(/_total$/);
      else expect(r.name, `${r.key} is not a counter`).not.toMatch(/_total$/);
      if (/Seconds$/.test(r.key)) expect(r.name).toMatch(/_seconds$/);
      if (/Bytes$/.test(r.key) && r.type !== 'C') expect(r.name).toMatch(/_bytes$/);
    }
  });

  it('puts a memberlist name (or a dash saying there is none) beside each', () => {
    for (const r of rows) expect(r.memberlist, r.key).toMatch(/^(`memberlist\.|—)/);
  });
});
