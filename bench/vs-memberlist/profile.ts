/**
 * Summary of the V8 CPU profiles taken on hearsay nodes over the steady window: self time by
 * function and by source module.
 * @module
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self time by function and by source module (mapped back through esbuild's `// src/…` markers). */
export function summarizeProfiles(files: string[], bundle: string): string[] {
  const lines = readFileSync(bundle, 'utf8').split('\n');
  const moduleAt: string[] = [];
  let current = '(bundle)';
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/\/ ((?:src|bench|node_modules)\/\S+)$/.exec(lines[i]!);
    if (m) current = m[1]!.replace(/^node_modules\/(@[^/]+\/[^/]+|[^/]+)\/.*$/, 'npm:$1');
    moduleAt[i] = current;
  }
  const byFn = new Map<string, number>();
  const byModule = new Map<string, number>();
  let totalMs = 0;
  let wallMs = 0;
  for (const file of files) {
    const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number };
    const byId = new Map(p.nodes.map((x) => [x.id, x]));
    const parent = new Map<number, number>();
    for (const x of p.nodes) for (const child of x.children ?? []) parent.set(child, x.id);
    /** Samples inside the profiler's own start/stop calls (node:inspector `post`) are not hearsay's. */
    const inInspector = (id: number): boolean => {
      for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
        const f = byId.get(at)!.callFrame;
        if (f.url === 'node:inspector') return true;
      }
      return false;
    };
    wallMs += (p.endTime - p.startTime) / 1000;
    // Sample i lasted until sample i+1: attribute timeDeltas[i+1] to samples[i].
    for (let i = 0; i < p.samples.length; i++) {
      const node = byId.get(p.samples[i]!)!;
      const ms = (p.timeDeltas[i + 1] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      let module: string;
      if (functionName === '(idle)' || functionName === '(program)' || functionName === '(garbage collector)' || functionName === '(root)') module = functionName;
      else if (url.endsWith('.mjs') && url.includes('vs-memberlist-node')) module = moduleAt[lineNumber] ?? '(bundle)';
      else if (url.startsWith('node:')) module = url.replace(/^node:internal\/([^/]+).*$/, 'node:internal/$1');
      else if (url === '') module = '(native)';
      else module = url;
      if (functionName === '(idle)' || inInspector(p.samples[i]!)) continue;
      totalMs += ms;
      const fn = `${functionName || '(anonymous)'} · ${module}`;
      byFn.set(fn, (byFn.get(fn) ?? 0) + ms);
      byModule.set(module, (byModule.get(module) ?? 0) + ms);
    }
  }
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, k)
      .map(([key, ms]) => `| ${key} | ${ms.toFixed(1)} | ${((100 * ms) / totalMs).toFixed(1)} % |`);
  return [
    `${files.length} profile(s), ${(wallMs / 1000).toFixed(1)} s of wall time, ${totalMs.toFixed(0)} ms sampled in JavaScript/V8 on the main thread = ${((100 * totalMs) / wallMs).toFixed(3)} % of one core per node. ` +
      "V8's sampler sees only that: libuv, the kernel and V8's background threads (JIT compiler, GC helpers) count as idle here, so this is a fraction of the CPU measured from /proc.",
    '',
    '| module (self time) | ms | share |',
    '|---|---:|---:|',
    ...top(byModule, 14),
    '',
    '| function · module (self time) | ms | share |',
    '|---|---:|---:|',
    ...top(byFn, 20),
  ];
}
