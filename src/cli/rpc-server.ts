/**
 * The agent's control endpoint: a unix socket (mode 0600, default) or a loopback TCP port
 * guarded by a token file (mode 0600). Serves {@link RpcRequest}s to a handler.
 * @module
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { StringDecoder } from 'node:string_decoder';
import { CliError, EXIT } from './exit.js';
import { LineSplitter, RPC_VERSION, type LogRecord, type RpcError, type RpcRequest, type RpcResponse } from './rpc-protocol.js';

/** Where to serve: a unix socket path, or a loopback TCP address with the token file to write. */
export type RpcEndpoint =
  | { readonly kind: 'unix'; readonly path: string }
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly tokenFile: (port: number) => string };

/** What a handler gets besides the request: a way to stream records and to learn the client left. */
export interface RpcConnection {
  /** Sends one streamed record for request `id` (used by `monitor`). */
  send(id: number, record: LogRecord): void;
  /** Runs `fn` once the client disconnects. */
  onClose(fn: () => void): void;
}

/** Serves one request; resolves with its result or rejects with an error (`code` is passed on when present). */
export type RpcHandler = (request: RpcRequest, conn: RpcConnection) => Promise<unknown>;

/** Most clients connected at once; a local operator needs a handful, so this only stops a runaway script. */
const MAX_CONNECTIONS = 64;

/** A listening control endpoint. */
export class RpcServer {
  private constructor(
    private readonly server: Server,
    private readonly sockets: Set<Socket>,
    /** The socket path, or `host:port` for TCP. */
    readonly address: string,
    /** The token file a TCP client must read; undefined for a unix socket. */
    readonly tokenFile: string | undefined,
    private readonly cleanupPath: string | undefined,
  ) {}

  /**
   * Starts serving `endpoint`. For a unix socket, a stale socket file left by a crashed agent is
   * removed, but a live one is not taken over.
   * @throws {CliError} when the endpoint is in use or cannot be bound.
   */
  static async listen(endpoint: RpcEndpoint, handler: RpcHandler): Promise<RpcServer> {
    // Made before listening, so no connection is ever served without the check.
    const token = endpoint.kind === 'tcp' ? Buffer.from(randomBytes(32).toString('hex')) : undefined;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      serve(socket, handler, token);
    });
    server.maxConnections = MAX_CONNECTIONS;
    let rpc: RpcServer;
    if (endpoint.kind === 'unix') {
      await removeStaleSocket(endpoint.path);
      // umask, not a chmod after the fact: the socket must never exist with wider permissions.
      const previous = process.umask(0o177);
      try {
        await listening(server, () => server.listen(endpoint.path), endpoint.path);
      } finally {
        process.umask(previous);
      }
      chmodSync(endpoint.path, 0o600);
      rpc = new RpcServer(server, sockets, endpoint.path, undefined, endpoint.path);
    } else {
      await listening(server, () => server.listen(endpoint.port, endpoint.host), `${endpoint.host}:${endpoint.port}`);
      const port = (server.address() as { port: number }).port;
      const tokenFile = endpoint.tokenFile(port);
      rmSync(tokenFile, { force: true });
      writeFileSync(tokenFile, token!, { mode: 0o600, flag: 'wx' });
      const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
      rpc = new RpcServer(server, sockets, `${host}:${port}`, tokenFile, tokenFile);
    }
    return rpc;
  }

  /**
   * Stops listening, closes every client connection and removes the socket or token file.
   * Connections are ended, not destroyed, so a reply just written (to `leave`) still arrives; a
   * client that does not hang up in turn is cut off after a second. Idempotent.
   */
  async close(): Promise<void> {
    for (const s of this.sockets) {
      s.end();
      setTimeout(() => s.destroy(), 1000).unref();
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (this.cleanupPath) rmSync(this.cleanupPath, { force: true });
  }
}

function listening(server: Server, listen: () => void, where: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new CliError(`cannot serve the control endpoint on ${where}: ${error.code ?? error.message}`, EXIT.failed));
    };
    server.once('error', onError);
    server.once('listening', () => {
      server.off('error', onError);
      resolve();
    });
    listen();
  });
}

async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  if (!lstatSync(path).isSocket()) throw new CliError(`${path} exists and is not a socket; remove it or pick another --rpc-socket`, EXIT.failed);
  const live = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
  if (live) throw new CliError(`another agent already serves ${path}; stop it or pick another --rpc-socket`, EXIT.failed);
  rmSync(path, { force: true });
}

function sameToken(expected: Buffer, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const g = Buffer.from(given);
  return g.length === expected.length && timingSafeEqual(g, expected);
}

function serve(socket: Socket, handler: RpcHandler, token: Buffer | undefined): void {
  const closers: (() => void)[] = [];
  socket.once('close', () => closers.splice(0).forEach((fn) => fn()));
  socket.on('error', () => socket.destroy());
  const write = (response: RpcResponse): void => {
    if (!socket.destroyed) socket.write(`${JSON.stringify(response)}\n`);
  };
  const conn: RpcConnection = {
    send: (id, record) => write({ id, record }),
    onClose: (fn) => void closers.push(fn),
  };
  const splitter = new LineSplitter(new StringDecoder('utf8'));
  socket.on('data', (chunk: Buffer) => {
    let lines: string[];
    try {
      lines = splitter.push(chunk);
    } catch {
      socket.destroy();
      return;
    }
    for (const line of lines) void answer(line);
  });

  async function answer(line: string): Promise<void> {
    let request: RpcRequest;
    try {
      request = JSON.parse(line) as RpcRequest;
    } catch {
      return fail(0, { code: 'bad-request', message: 'request is not JSON' });
    }
    const id = typeof request.id === 'number' ? request.id : 0;
    if (token && !sameToken(token, request.token)) {
      fail(id, { code: 'unauthorized', message: 'missing or wrong token: pass --rpc-token-file with the file the agent wrote' });
      socket.end();
      return;
    }
    if (request.v !== RPC_VERSION) return fail(id, { code: 'bad-request', message: `control protocol version ${String(request.v)} is not ${RPC_VERSION}: use the hearsay CLI of the agent's version` });
    try {
      write({ id, ok: true, result: await handler(request, conn) });
    } catch (error) {
      const e = error as { code?: unknown; message?: string };
      fail(id, { code: typeof e.code === 'string' ? e.code : 'failed', message: e.message ?? String(error) });
    }
  }

  function fail(id: number, error: RpcError): void {
    write({ id, ok: false, error });
  }
}
