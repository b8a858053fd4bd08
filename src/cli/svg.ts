/**
 * Minimal SVG line charts for `hearsay simulate`, written by hand so the CLI adds no dependency.
 * @module
 */

/** One line on a chart. */
export interface Series {
  readonly label: string;
  /** [x, y] points in data units, x ascending. */
  readonly points: readonly (readonly [number, number])[];
  readonly color: string;
}

/** One panel: axes, title and its series. */
export interface Panel {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Fixed y range; default 0 … max of the data. */
  readonly yMax?: number;
  /**
   * Start of the x axis; default 0. A detection CDF sits far from 0 (every crash takes at least
   * the suspicion timeout), so starting there spreads the curve over the panel instead of
   * squeezing it against the right edge.
   */
  readonly xMin?: number;
}

const W = 520;
const H = 320;
const M = { left: 60, right: 20, top: 36, bottom: 48 };

function esc(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** Round tick values covering [min, max]: steps of 1, 2 or 5 × a power of ten, about 5–10 of them. */
export function ticks(min: number, max: number): number[] {
  const span = max - min;
  if (!(span > 0)) return [min];
  const step10 = 10 ** Math.floor(Math.log10(span));
  const unit = span / step10 > 5 ? step10 : span / step10 > 2 ? step10 / 2 : step10 / 5;
  const out: number[] = [];
  for (let v = Math.ceil(min / unit - 1e-9) * unit; v <= max + 1e-9; v += unit) out.push(Number(v.toPrecision(6)));
  return out;
}

/** The x range of a panel: from `xMin` (or 0) to the largest x, never empty. */
function xRange(p: Panel, xs: readonly number[]): [number, number] {
  const lo = p.xMin ?? 0;
  const hi = Math.max(lo + 1e-9, ...xs);
  return [lo, hi];
}

function panel(p: Panel, offsetX: number): string {
  const all = p.series.flatMap((s) => s.points);
  const [xMin, xMax] = xRange(p, all.map((q) => q[0]));
  const yMax = p.yMax ?? Math.max(1e-9, ...all.map((q) => q[1]));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const x = (v: number): number => offsetX + M.left + ((v - xMin) / (xMax - xMin)) * pw;
  const y = (v: number): number => M.top + ph - (v / yMax) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${offsetX + W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${esc(p.title)}</text>`);
  for (const t of ticks(xMin, xMax)) {
    parts.push(`<line x1="${x(t)}" y1="${M.top}" x2="${x(t)}" y2="${M.top + ph}" stroke="#eee"/>`);
    parts.push(`<text x="${x(t)}" y="${M.top + ph + 16}" text-anchor="middle" font-size="11">${t}</text>`);
  }
  for (const t of ticks(0, yMax)) {
    parts.push(`<line x1="${offsetX + M.left}" y1="${y(t)}" x2="${offsetX + M.left + pw}" y2="${y(t)}" stroke="#eee"/>`);
    parts.push(`<text x="${offsetX + M.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t}</text>`);
  }
  parts.push(`<rect x="${offsetX + M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${offsetX + M.left + pw / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(p.xLabel)}</text>`);
  parts.push(`<text x="${offsetX + 14}" y="${M.top + ph / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 ${offsetX + 14} ${M.top + ph / 2})">${esc(p.yLabel)}</text>`);
  p.series.forEach((s, i) => {
    if (s.points.length > 0) {
      const d = s.points.map((q, j) => `${j === 0 ? 'M' : 'L'}${x(q[0]).toFixed(1)},${y(q[1]).toFixed(1)}`).join(' ');
      parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    }
    const ly = M.top + 14 + i * 16;
    parts.push(`<line x1="${offsetX + M.left + 10}" y1="${ly - 4}" x2="${offsetX + M.left + 30}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"/>`);
    parts.push(`<text x="${offsetX + M.left + 36}" y="${ly}" font-size="11">${esc(s.label)}</text>`);
  });
  return parts.join('\n');
}

/** Renders panels side by side as one standalone SVG document. */
export function renderChart(panels: readonly Panel[], caption: string): string {
  const width = W * panels.length;
  const body = panels.map((p, i) => panel(p, i * W)).join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${H + 24}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
${body}
<text x="${width / 2}" y="${H + 16}" text-anchor="middle" font-size="11" fill="#555">${esc(caption)}</text>
</svg>
`;
}
