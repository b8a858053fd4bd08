/**
 * One hearsay node per OS process, for `bench/vs-memberlist.ts`. It speaks the same JSON-lines
 * protocol as the Go peer run with `-bench` (test/interop/peer/main.go), so the bench drives both
 * implementations through one code path.
 *
 * The bench bundles this file with esbuild and runs it with plain `node` (no tsx loader, no
 * esbuild service process next to every node). It uses hearsay's public API only.
 *
 * Flags: `--name N` (required), `--bind ip:port` (default 127.0.0.1:0), `--preset lan|wan|local`
 * (default lan), `--seeds a:p,b:p` (join after start).
 *
 * stdin, one command a line: `join a:p[,b:p]` · `stats` · `leave [timeoutMs]` · `shutdown` ·
 * `prof-start [intervalUs]` / `prof-stop <file.cpuprofile>` (in-process V8 CPU profile through node:inspector,
 * so the bench can profile exactly its steady-state window) · `ping`. The process exits when
 * stdin closes, on SIGTERM/SIGINT or on `shutdown` (never leaving: the bench leaves explicitly).
 *
 * stdout, one JSON object a line, every one stamped with `ts` (unix ms):
 *   {"event":"ready","name","addr","pid"}
 *   {"event":"join","node":{"name","addr","state":0}}           a member became alive
 *   {"event":"suspect","name"}                                  any suspicion of name (hearsay
 *                                                               emits it on every node; the Go
 *                                                               peer only on the prober)
 *   {"event":"alive","name"}                                    a suspect recovered
 *   {"event":"leave","node":{"name","addr","state":2|3}}        2 = failed (dead), 3 = left
 *   {"event":"joined","contacted"} {"event":"left"} {"event":"shutdown"} {"event":"pong"}
 *   {"event":"stats","udpPacketsSent","udpBytesSent","tcpBytesSent","tcpDials","numMembers",
 *    "cpuUserUs","cpuSystemUs","rss","stalls"}
 *   {"event":"profile","file"} {"event":"error","cmd","error"}
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import {
  Hearsay,
  METRIC,
  UdpTransport,
  type DialOptions,
  type MemberSnapshot,
  type Metrics,
  type PresetName,
  type StreamConnection,
  type Transport,
  type TransportHandlers,
} from '../src/index.js';

const { values } = parseArgs({
  options: {
    name: { type: 'string' },
    bind: { type: 'string', default: '127.0.0.1:0' },
    preset: { type: 'string', default: 'lan' },
    seeds: { type: 'string' },
  },
});

function emit(event: string, data: object = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...data, ts: Date.now() })}\n`);
}

if (!values.name) {
  emit('error', { cmd: 'start', error: '--name is required', fatal: true });
  process.exit(2);
}

/** Counts bytes written on TCP streams (push/pull, fallback pings), dialled or accepted, and dials. */
let tcpBytesSent = 0;
let tcpDials = 0;

function countWrites(conn: StreamConnection): StreamConnection {
  return {
    get remoteAddress() {
      return conn.remoteAddress;
    },
    [Symbol.asyncIterator]: () => conn[Symbol.asyncIterator](),
    write(bytes: Uint8Array) {
      tcpBytesSent += bytes.length;
      return conn.write(bytes);
    },
    end: () => conn.end(),
    destroy: (error?: Error) => conn.destroy(error),
  };
}

/** The default transport, with stream writes counted (datagrams are counted by hearsay's metrics). */
class CountingTransport implements Transport {
  constructor(private readonly inner: Transport) {}
  get localAddress(): string {
    return this.inner.localAddress;
  }
  get mtu(): number {
    return this.inner.mtu;
  }
  start(handlers: TransportHandlers, options?: { signal?: AbortSignal }): Promise<void> {
    return this.inner.start({ ...handlers, onStream: (conn) => handlers.onStream(countWrites(conn)) }, options);
  }
  send(to: string, bytes: Uint8Array): Promise<void> {
    return this.inner.send(to, bytes);
  }
  async dial(to: string, options: DialOptions): Promise<StreamConnection> {
    tcpDials++;
    return countWrites(await this.inner.dial(to, options));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The counters the bench reads; everything else hearsay reports is dropped. */
const counters = new Map<string, number>();
const metrics: Metrics = {
  increment(name, by = 1) {
    counters.set(name, (counters.get(name) ?? 0) + by);
  },
  gauge() {},
  observe() {},
};

const node = await Hearsay.start({
  name: values.name,
  bind: values.bind,
  preset: values.preset as PresetName,
  metrics,
  transport: new CountingTransport(new UdpTransport({ bind: values.bind })),
});

const nodeJson = (m: MemberSnapshot, state: number) => ({ name: m.name, addr: m.address, state, incarnation: m.incarnation });
node.on('join', ({ member }) => emit('join', { node: nodeJson(member, 0) }));
node.on('suspect', ({ member }) => emit('suspect', { name: member.name }));
node.on('alive', ({ member }) => emit('alive', { name: member.name }));
node.on('fail', ({ member }) => emit('leave', { node: nodeJson(member, 2) }));
node.on('leave', ({ member }) => emit('leave', { node: nodeJson(member, 3) }));
emit('ready', { name: values.name, addr: node.localMember.address, pid: process.pid });

async function join(seeds: string[]): Promise<void> {
  try {
    emit('joined', { contacted: (await node.join(seeds)).contacted });
  } catch (error) {
    emit('error', { cmd: 'join', error: String(error) });
  }
}
if (values.seeds) void join(values.seeds.split(','));

let session: Session | undefined;
function post<T>(method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session!.post(method, params ?? {}, (err, result) => (err ? reject(err) : resolve(result as T))),
  );
}

let exiting = false;
async function shutdown(): Promise<void> {
  if (exiting) return;
  exiting = true;
  await node.shutdown();
  emit('shutdown');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());

const rl = createInterface({ input: process.stdin });
rl.on('close', () => void shutdown());
rl.on('line', (line) => {
  const [cmd, ...args] = line.trim().split(/\s+/);
  switch (cmd) {
    case '':
      return;
    case 'ping':
      return emit('pong');
    case 'join':
      return void join(args.join(',').split(',').filter(Boolean));
    case 'stats': {
      const cpu = process.cpuUsage();
      return emit('stats', {
        udpPacketsSent: counters.get(METRIC.packetsSent) ?? 0,
        udpBytesSent: counters.get(METRIC.bytesSent) ?? 0,
        tcpBytesSent,
        tcpDials,
        numMembers: node.size,
        cpuUserUs: cpu.user,
        cpuSystemUs: cpu.system,
        rss: process.memoryUsage.rss(),
        stalls: counters.get(METRIC.loopStalls) ?? 0,
      });
    }
    case 'leave':
      return void node
        .leave({ timeoutMs: Number(args[0] ?? 5000) })
        .then(() => emit('left'))
        .catch((error: unknown) => emit('error', { cmd: 'leave', error: String(error) }));
    case 'shutdown':
      return void shutdown();
    case 'prof-start':
      session ??= new Session();
      session.connect();
      return void post('Profiler.enable')
        .then(() => post('Profiler.setSamplingInterval', { interval: Number(args[0] ?? 500) }))
        .then(() => post('Profiler.start'))
        .then(() => emit('profiling'))
        .catch((error: unknown) => emit('error', { cmd, error: String(error) }));
    case 'prof-stop':
      return void post<{ profile: object }>('Profiler.stop')
        .then(({ profile }) => {
          writeFileSync(args[0]!, JSON.stringify(profile));
          session!.disconnect();
          emit('profile', { file: args[0] });
        })
        .catch((error: unknown) => emit('error', { cmd, error: String(error) }));
    default:
      return emit('error', { cmd, error: `unknown command "${cmd}"` });
  }
});
