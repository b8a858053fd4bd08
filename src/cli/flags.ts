/**
 * Flag parsing on `node:util` `parseArgs`, with errors that name the flag and its rule, and the
 * value parsers the commands share (tags, addresses, keys, durations).
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseHostPort } from '../address.js';
import { UsageError } from './exit.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts. */
const COMMON = { help: { type: 'boolean', short: 'h' } } as const;

/** What {@link parseFlags} returns: `parseArgs`'s typed result for these options. */
export type ParsedFlags<O extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: O & typeof COMMON; strict: true; allowPositionals: boolean }>>;

/**
 * Parses `argv` strictly against `options` (plus `--help`). Unknown flags, missing values and
 * unexpected positionals become a {@link UsageError} naming the flag.
 */
export function parseFlags<O extends Options>(argv: readonly string[], options: O, positionals = false): ParsedFlags<O> {
  try {
    return parseArgs({ args: [...argv], options: { ...options, ...COMMON }, strict: true, allowPositionals: positionals });
  } catch (error) {
    throw usageFromParseError(error);
  }
}

function usageFromParseError(error: unknown): Error {
  const e = error as { code?: string; message?: string };
  const message = e.message ?? String(error);
  const flag = /'(-{1,2}[^' ]+)/.exec(message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(flag ?? 'flag', 'is not a flag of this command');
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(flag ?? 'flag', /argument missing/.test(message) ? 'needs a value' : 'takes no value');
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(message)?.[1] ?? '';
      return new UsageError(`argument "${arg}"`, 'is not expected: this command takes flags only');
    }
    default:
      return error instanceof Error ? error : new Error(message);
  }
}

/** Splits repeated and comma-separated values: `--join a,b --join c` → `[a, b, c]`. */
export function list(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** Parses `key=value` (the value may be empty, the key may not). */
export function keyValue(flag: string, text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 1) throw new UsageError(flag, `wants key=value, got "${text}"`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

/** Parses repeated `--tag key=value` flags into a tag map; a later value wins. */
export function tags(flag: string, values: readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values ?? []) {
    const [k, val] = keyValue(flag, v);
    out[k] = val;
  }
  return out;
}

/** Checks an `ip:port` / `[ipv6]:port` flag value. */
export function hostPort(flag: string, text: string): string {
  if (parseHostPort(text) === undefined) throw new UsageError(flag, `wants ip:port or [ipv6]:port with a port 0–65535, got "${text}"`);
  return text;
}

/** Decodes a base64 AES key (16, 24 or 32 bytes). */
export function aesKey(flag: string, text: string): Uint8Array {
  const bytes = /^[A-Za-z0-9+/]+={0,2}$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : new Uint8Array();
  if (![16, 24, 32].includes(bytes.length)) {
    throw new UsageError(flag, `wants a base64 AES key of 16, 24 or 32 bytes (try: openssl rand -base64 32), got ${bytes.length === 0 ? `"${text}"` : `${bytes.length} bytes`}`);
  }
  return bytes;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a duration such as `500ms`, `30s`, `2m` (a bare number is seconds) into ms. */
export function duration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(flag, `wants a duration like 500ms, 30s or 2m, got "${text}"`);
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 's']!);
}

/** Parses a non-negative integer flag. */
export function count(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw new UsageError(flag, `wants a whole number ≥ 0, got "${text}"`);
  return n;
}

/** Checks a value against a fixed set. */
export function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) throw new UsageError(flag, `must be one of ${allowed.join(', ')}, got "${text}"`);
  return text as T;
}
