/**
 * The client side of the control protocol: how every command but `agent`, `demo` and `simulate`
 * talks to a running agent. It never joins the cluster itself.
 * @module
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { parseHostPort } from '../address.js';
import { CliError, EXIT } from './exit.js';
import { defaultSocketPath, defaultTokenPath, ENV_ADDR, ENV_SOCKET } from './paths.js';
import { LineSplitter, RPC_VERSION, type LogRecord, type RpcCommand, type RpcResponse } from './rpc-protocol.js';

/** How to reach the agent, from `--rpc-socket`, `--rpc`/`--rpc-token-file` or the environment. */
export interface RpcTarget {
  readonly socket?: string | undefined;
  readonly addr?: string | undefined;
  readonly tokenFile?: string | undefined;
}

/** Flags every client command takes to find its agent. */
export const TARGET_FLAGS = {
  'rpc-socket': { type: 'string' },
  rpc: { type: 'string' },
  'rpc-token-file': { type: 'string' },
} as const;

/** An error the agent answered with; `code` is the agent's (`HEARSAY_JOIN`, `failed`, …). */
export class AgentError extends CliError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message, code === 'unauthorized' ? EXIT.unreachable : EXIT.failed);
    this.name = 'AgentError';
  }
}

/** A connected control client. Requests are answered in order; one connection per command. */
export class RpcClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; onRecord?: (r: LogRecord) => void }>();
  private closedError: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly token: string | undefined,
    readonly where: string,
  ) {
    const splitter = new LineSplitter(new StringDecoder('utf8'));
    socket.on('data', (chunk: Buffer) => {
      for (const line of splitter.push(chunk)) this.dispatch(JSON.parse(line) as RpcResponse);
    });
    socket.on('close', () => this.failAll(new CliError(`the agent at ${where} closed the connection`, EXIT.unreachable)));
    socket.on('error', (error) => this.failAll(new CliError(`control connection to ${where} failed: ${error.message}`, EXIT.unreachable)));
  }

  /**
   * Connects to the agent named by `target` (default: `$HEARSAY_RPC_SOCKET`, `$HEARSAY_RPC_ADDR`,
   * then the default socket).
   * @throws {CliError} with exit code 3 when nothing answers there.
   */
  static async connect(target: RpcTarget, env: NodeJS.ProcessEnv = process.env): Promise<RpcClient> {
    const addr = target.addr ?? (target.socket ? undefined : env[ENV_ADDR]);
    let socket: Socket;
    let where: string;
    let token: string | undefined;
    if (addr) {
      const hp = parseHostPort(addr);
      if (!hp) throw new CliError(`--rpc wants ip:port, got "${addr}"`, EXIT.usage);
      const tokenFile = target.tokenFile ?? defaultTokenPath(hp.port, env);
      try {
        token = readFileSync(tokenFile, 'utf8').trim();
      } catch (error) {
        throw new CliError(`cannot read the agent's token file ${tokenFile} (${(error as NodeJS.ErrnoException).code}); pass --rpc-token-file`, EXIT.unreachable);
      }
      where = addr;
      socket = connect(hp.port, hp.host);
    } else {
      where = target.socket ?? env[ENV_SOCKET] ?? defaultSocketPath(env);
      socket = connect(where);
    }
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', (error: NodeJS.ErrnoException) => {
        const hint = addr ? '' : ' (is `hearsay agent` running? pass --rpc-socket PATH)';
        reject(new CliError(`no agent at ${where}: ${error.code ?? error.message}${hint}`, EXIT.unreachable));
      });
    });
    return new RpcClient(socket, token, where);
  }

  /** Sends one request and resolves with its result. Rejects with {@link AgentError} when the agent reports one. */
  request<T>(command: RpcCommand, args: Record<string, unknown> = {}, onRecord?: (record: LogRecord) => void): Promise<T> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, ...(onRecord ? { onRecord } : {}) });
      this.socket.write(`${JSON.stringify({ v: RPC_VERSION, id, command, args, ...(this.token ? { token: this.token } : {}) })}\n`);
    });
  }

  /**
   * Streams records for a `monitor` request until `signal` aborts or the agent goes away.
   * Resolves on abort; rejects when the agent refuses or disconnects.
   */
  async stream(command: RpcCommand, args: Record<string, unknown>, onRecord: (record: LogRecord) => void, signal: AbortSignal): Promise<void> {
    const ended = new Promise<void>((resolve, reject) => {
      if (signal.aborted) resolve();
      signal.addEventListener('abort', () => resolve(), { once: true });
      this.socket.once('close', () => reject(this.closedError ?? new CliError(`the agent at ${this.where} went away`, EXIT.unreachable)));
    });
    ended.catch(() => {}); // observed below; this only keeps an early refusal from leaving it unhandled
    await Promise.race([this.request(command, args, onRecord), ended]);
    await ended;
  }

  /** Closes the connection. */
  close(): void {
    this.closedError ??= new CliError('connection closed', EXIT.unreachable);
    this.socket.destroy();
  }

  private dispatch(response: RpcResponse): void {
    const w = this.waiting.get(response.id);
    if (!w) return;
    if ('record' in response) {
      w.onRecord?.(response.record);
      return;
    }
    if (!w.onRecord) this.waiting.delete(response.id);
    if (response.ok) w.resolve(response.result);
    else {
      this.waiting.delete(response.id);
      w.reject(new AgentError(response.error.code, response.error.message));
    }
  }

  private failAll(error: Error): void {
    this.closedError ??= error;
    for (const w of this.waiting.values()) w.reject(this.closedError);
    this.waiting.clear();
  }
}
