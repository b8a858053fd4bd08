/**
 * The demo's live view on a terminal: who each node thinks is alive, redrawn in place, with the
 * timing settings, the current step and the latest events.
 * @module
 */
import type { Hearsay } from '../hearsay.js';
import type { Seen } from './demo.js';
import { memberStatus } from './members-view.js';

const COLORS: Record<string, string> = { alive: '\x1b[32m', suspect: '\x1b[33m', failed: '\x1b[31m', left: '\x1b[36m' };
const RESET = '\x1b[0m';
const RECENT = 8;

/** Redraws the table at most every 100 ms while the demo runs. */
export class DemoScreen {
  private readonly recent: string[] = [];
  private current = '';
  private drawn = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly nodes: () => ReadonlyMap<string, Hearsay>,
    private readonly names: readonly string[],
    private readonly timing: string,
    private readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.timer = setInterval(() => this.draw(), 100);
  }

  /** Shows the step the demo is on, with its time since the start. */
  phase(text: string, at: number): void {
    this.current = `${(at / 1000).toFixed(1)} s  ${text}`;
    this.draw();
  }

  /** Adds an event to the list of recent ones (drawn on the next frame). */
  event(s: Seen): void {
    this.recent.push(`${(s.at / 1000).toFixed(2).padStart(6)}s  ${s.observer} sees ${s.member.name} ${s.event}`);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  /** Stops redrawing, after one last frame. */
  stop(): void {
    clearInterval(this.timer);
    this.draw();
  }

  private draw(): void {
    const nodes = this.nodes();
    const lines = ['hearsay demo: 5 nodes on 127.0.0.1', this.timing, '', `member   ${this.names.map((n) => `seen by ${n}`.padEnd(12)).join('')}`];
    for (const member of this.names) {
      const cells = this.names.map((observer) => {
        const node = nodes.get(observer);
        if (!node) return '(down)'.padEnd(12);
        const m = node.members().find((x) => x.name === member);
        const status = m ? memberStatus(m.state) : '—';
        return `${COLORS[status] ?? ''}${status.padEnd(12)}${COLORS[status] ? RESET : ''}`;
      });
      lines.push(`${member.padEnd(9)}${cells.join('')}`);
    }
    lines.push('', this.current, '', ...this.recent);
    // Move up over the previous frame and clear it, then draw: no full-screen clear, no flicker.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F\x1b[J` : '';
    this.out.write(`${up}${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
