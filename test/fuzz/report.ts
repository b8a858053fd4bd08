/**
 * Plain-text report of a fuzz run: what was sent, what the nodes counted, memory, verdict.
 * @module
 */
import type { FuzzResult } from './run-fuzz.js';

const n = (x: number): string => x.toLocaleString('en-US');
const mib = (x: number): string => `${x.toFixed(1)} MiB`;

function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => `  ${r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')}`).join('\n');
}

/** The report as printed by `npm run fuzz`. */
export function formatResult(r: FuzzResult): string {
  const out: string[] = [];
  const o = r.options;
  out.push(`fuzz: seed ${o.seed}, target 3 nodes (lan preset, keyring + allowUnencrypted, label, tcpTimeoutMs ${o.tcpTimeoutMs}), ${(r.elapsedMs / 1000).toFixed(1)} s`);
  const a = r.attack;
  if (a) {
    const d = a.datagrams;
    out.push(`datagrams: ${n(d.sent)} sent (${mib(d.bytes / 2 ** 20)}), ${n(r.datagramsRead)} read by the nodes, ${n(d.lost)} lost; ${n(d.rejectedAsHarmful)} generated ones replaced as harmful`);
    out.push(table([['by generator', 'count'], ...Object.entries(d.byKind).sort((x, y) => y[1] - x[1]).map(([k, v]) => [k, n(v)])]));
    const s = a.streams;
    out.push(`streams: ${n(s.total)} (${n(s.rejectedAsHarmful)} replaced as harmful), ${n(r.streamsAccepted)} accepted by the nodes`);
    const replyKinds = [...new Set(Object.values(s.byKind).flatMap((k) => Object.keys(k.replies)))].sort();
    out.push(
      table([
        ['kind', 'count', 'node hung up', 'not closed', 'connect failed', 'hang-up p50/p99/max ms', ...replyKinds.map((k) => `reply:${k}`)],
        ...Object.entries(s.byKind)
          .sort((x, y) => y[1].count - x[1].count)
          .map(([k, v]) => [k, n(v.count), n(v.closedByNode), n(v.notClosed), n(v.connectFailed), `${n(v.closeMs.p50)} / ${n(v.closeMs.p99)} / ${n(v.closeMs.max)}`, ...replyKinds.map((rk) => n(v.replies[rk] ?? 0))]),
      ]),
    );
  }
  out.push('drops counted by the nodes (hearsay_packets_dropped_total, all three nodes):');
  const expected = a?.datagrams.expectedDrops ?? {};
  out.push(table([['reason', 'counted', 'decoder expects (datagrams)'], ...Object.entries(r.drops).map(([k, v]) => [k, n(v), expected[k] === undefined ? '' : n(expected[k]!)])]));
  out.push(`user payloads delivered: ${n(r.messagesDelivered)}; self:health changes: ${n(r.healthChanges)}`);
  out.push(
    `RSS: ${mib(r.rss.beforeMiB)} before, ${mib(r.rss.warmMiB)} after 10 % of the datagrams, ${mib(r.rss.afterMiB)} after ` +
      `(growth ${mib(r.rss.afterMiB - r.rss.beforeMiB)}, bound ${o.rssBoundMiB} MiB), peak ${mib(r.rss.peakMiB)}; ` +
      `heap used ${mib(r.heapUsed.beforeMiB)} → ${mib(r.heapUsed.afterMiB)}${r.gcExposed ? ` (after full GC; bound +${o.heapBoundMiB} MiB)` : ' (no --expose-gc: no GC forced, heap bound not checked)'}`,
  );
  out.push(r.failures.length === 0 ? 'PASS: no crash, no unhandled rejection, every drop counted, every stream reaped, member tables unchanged' : `FAIL (${r.failures.length}):\n${r.failures.map((f) => `  - ${f}`).join('\n')}`);
  return `${out.join('\n')}\n`;
}
