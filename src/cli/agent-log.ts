/**
 * The agent's log: membership events and the node's own log lines, printed as text or JSON
 * lines and fanned out to `monitor` clients, each at its own level.
 * @module
 */
import type { MemberSnapshot } from '../events.js';
import type { LogFields, Logger } from '../observability.js';
import type { LogLevel, LogRecord } from './rpc-protocol.js';
import { memberStatus } from './members-view.js';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A destination for records at or above `level`. */
interface Sink {
  readonly level: LogLevel;
  write(record: LogRecord): void;
}

/** Formats one record as a human line: `time [LEVEL] msg key=value …`. */
export function formatRecord(record: LogRecord): string {
  const fields = Object.entries(record.fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, jsonReplacer)}`)
    .join(' ');
  return `${record.time} [${record.level.toUpperCase()}] ${record.msg}${fields ? ` ${fields}` : ''}`;
}

/** JSON.stringify replacer for log fields: errors as their message, bytes as base64. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('code' in value ? { code: (value as { code: unknown }).code } : {}) };
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** Member fields as event lines show them. */
export function memberFields(m: MemberSnapshot): LogFields {
  return { name: m.name, address: m.address, status: memberStatus(m.state), incarnation: m.incarnation, ...(m.tags ? { tags: m.tags } : {}) };
}

/** The agent's logger: a pino-style {@link Logger} for the node plus `event()` for membership events. */
export class AgentLog implements Logger {
  private readonly sinks = new Set<Sink>();
  /** Called with every record, whatever its level (the agent watches for name conflicts this way). */
  onAny: ((level: LogLevel, fields: LogFields, msg: string) => void) | undefined;

  constructor(level: LogLevel, json: boolean, out: NodeJS.WritableStream = process.stdout) {
    this.sinks.add({ level, write: (r) => void out.write(`${json ? JSON.stringify(r, jsonReplacer) : formatRecord(r)}\n`) });
  }

  /** Adds a `monitor` client; returns the function that removes it. */
  subscribe(level: LogLevel, write: (record: LogRecord) => void): () => void {
    const sink: Sink = { level, write };
    this.sinks.add(sink);
    return () => void this.sinks.delete(sink);
  }

  /** Logs a membership event (`join`, `fail`, …) at info. */
  event(event: string, member: MemberSnapshot): void {
    this.emit('info', memberFields(member), `member ${event}`, event);
  }

  debug(fields: LogFields, msg: string): void {
    this.emit('debug', fields, msg);
  }
  info(fields: LogFields, msg: string): void {
    this.emit('info', fields, msg);
  }
  warn(fields: LogFields, msg: string): void {
    this.emit('warn', fields, msg);
  }
  error(fields: LogFields, msg: string): void {
    this.emit('error', fields, msg);
  }

  private emit(level: LogLevel, fields: LogFields, msg: string, event?: string): void {
    this.onAny?.(level, fields, msg);
    let record: LogRecord | undefined;
    for (const sink of this.sinks) {
      if (RANK[level] < RANK[sink.level]) continue;
      record ??= { time: new Date().toISOString(), level, msg, ...(event ? { event } : {}), fields };
      try {
        sink.write(record);
      } catch {
        // A monitor that went away mid-write is removed by its close handler; never let it stop the agent.
      }
    }
  }
}

