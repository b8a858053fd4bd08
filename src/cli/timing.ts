/**
 * `hearsay timing`: how long detection and dissemination take for a preset and a cluster size,
 * from the protocol's own formulas (the same functions the core runs). Estimates, not
 * measurements: `hearsay simulate` measures.
 * @module
 */
import { pushPullScale } from '../core/push-pull.js';
import { retransmitLimit } from '../core/broadcasts.js';
import { suspicionTimeouts } from '../core/suspicion.js';
import { lan, local, wan, type PresetName, type ProtocolOptions } from '../options.js';
import { EXIT, UsageError, type ExitCode } from './exit.js';
import { list, oneOf, parseFlags } from './flags.js';

const PRESETS: Record<PresetName, () => ProtocolOptions> = { lan, wan, local };

/** The timing figures of one preset at one cluster size, in ms unless named otherwise. */
export interface TimingFigures {
  readonly preset: PresetName;
  readonly nodes: number;
  readonly probeIntervalMs: number;
  /** Expected probe rounds until some member probes a crashed one: 1 / (1 − (1 − 1/(n−1))^(n−1)), → e/(e−1) ≈ 1.58 (SWIM §3.1). */
  readonly firstProbeRounds: number;
  /** Expected crash → suspect: half a round to the next one, the rounds above, and the probe's own round (the indirect probes wait for its end). */
  readonly suspectMs: number;
  readonly suspicionMinMs: number;
  readonly suspicionMaxMs: number;
  /** Confirmations that bring the suspicion down to its minimum (Lifeguard k). */
  readonly confirmations: number;
  /** Expected crash → fail once `confirmations` peers agree: suspect + min. */
  readonly failMs: number;
  /** Crash → fail when nobody confirms: suspect + max. */
  readonly failWorstMs: number;
  /** Gossip rounds for one update to reach everyone in the exponential phase: ⌈ln n / ln(1 + gossipNodes)⌉. */
  readonly disseminationRounds: number;
  readonly disseminationMs: number;
  /** Times each node passes an update on: retransmitMult × ⌈log10(n+1)⌉. */
  readonly transmitsPerUpdate: number;
  /** Full state exchange period after scaling for size. */
  readonly pushPullMs: number;
}

/** Computes {@link TimingFigures} for `preset` (or explicit options) at `nodes` members. */
export function timingFigures(preset: PresetName, nodes: number, options: ProtocolOptions = PRESETS[preset]()): TimingFigures {
  const o = options;
  const others = Math.max(1, nodes - 1);
  const firstProbeRounds = 1 / (1 - (1 - 1 / others) ** others);
  const suspectMs = (firstProbeRounds + 0.5) * o.probeIntervalMs;
  const s = suspicionTimeouts(nodes, o);
  const disseminationRounds = Math.max(1, Math.ceil(Math.log(nodes) / Math.log(1 + o.gossipNodes)));
  return {
    preset,
    nodes,
    probeIntervalMs: o.probeIntervalMs,
    firstProbeRounds,
    suspectMs,
    suspicionMinMs: s.minMs,
    suspicionMaxMs: s.k === 0 ? s.minMs : s.maxMs,
    confirmations: s.k,
    failMs: suspectMs + s.minMs,
    failWorstMs: suspectMs + (s.k === 0 ? s.minMs : s.maxMs),
    disseminationRounds,
    disseminationMs: disseminationRounds * o.gossipIntervalMs,
    transmitsPerUpdate: retransmitLimit(o.retransmitMult, nodes),
    pushPullMs: pushPullScale(o.pushPullIntervalMs, nodes),
  };
}

const sec = (ms: number): string => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

/** Formats figures as the table `hearsay timing` prints (Markdown, so it pastes into docs). */
export function timingTable(rows: readonly TimingFigures[]): string {
  const head = ['preset', 'nodes', 'crash → suspect', 'suspicion (k)', 'crash → fail', 'no confirmations', 'update → all', 'sends/update', 'push/pull every'];
  const body = rows.map((r) => [
    r.preset,
    String(r.nodes),
    `≈ ${sec(r.suspectMs)}`,
    `${r.suspicionMinMs === r.suspicionMaxMs ? sec(r.suspicionMinMs) : `${sec(r.suspicionMinMs)}–${sec(r.suspicionMaxMs)}`} (${r.confirmations})`,
    `≈ ${sec(r.failMs)}`,
    `≤ ${sec(r.failWorstMs)}`,
    `≈ ${sec(r.disseminationMs)} (${r.disseminationRounds} round${r.disseminationRounds === 1 ? '' : 's'})`,
    String(r.transmitsPerUpdate),
    sec(r.pushPullMs),
  ]);
  return [head, head.map(() => '---'), ...body].map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}

/** `hearsay timing [--preset P …] [--nodes N,…] [--json]`. */
export async function runTiming(argv: readonly string[], help: () => string): Promise<ExitCode> {
  const { values } = parseFlags(argv, { preset: { type: 'string', multiple: true }, nodes: { type: 'string', multiple: true }, json: { type: 'boolean' } });
  if (values.help) {
    process.stdout.write(`${help()}\n`);
    return EXIT.ok;
  }
  const presets = list(values.preset ?? ['lan', 'wan', 'local']).map((p) => oneOf('--preset', p, ['lan', 'wan', 'local'] as const));
  const sizes = list(values.nodes ?? ['5', '100', '1000']).map((n) => {
    const v = Number(n);
    if (!Number.isInteger(v) || v < 2 || v > 1_000_000) throw new UsageError('--nodes', `wants whole numbers from 2 to 1000000, got "${n}"`);
    return v;
  });
  const rows = presets.flatMap((p) => sizes.map((n) => timingFigures(p, n)));
  process.stdout.write(`${values.json ? JSON.stringify(rows, null, 2) : timingTable(rows)}\n`);
  return EXIT.ok;
}
