/**
 * One hearsay node per process, for the network-namespace test bed: started by the test inside a
 * namespace (`ip netns exec <ns> node --import tsx test/netns/agent.ts '<config JSON>'`), driven
 * over stdin and reporting over stdout, one JSON object per line. Uses only the public API.
 *
 * stdin commands: `{"cmd":"join","seeds":["10.213.0.11:7946"]}`, `{"cmd":"members"}`,
 * `{"cmd":"leave"}`, `{"cmd":"shutdown"}`.
 *
 * stdout lines (every one carries `t`, wall-clock ms, so traces from several processes line up):
 * `ready {name, addr, pid}`; member events `join | update | suspect | alive | fail | leave`
 * `{member, state, incarnation}`; `self:health {score, previous}`; `self:refute {incarnation,
 * accuser, accusation}`; `self:isolated {durationMs}`; replies `joined {contacted}`,
 * `members {members:[{name, state, incarnation}]}`, `left`; `error {cmd, error}`.
 *
 * The process exits when stdin closes, so a test runner that dies never leaves one behind.
 * @module
 */
import { createInterface } from 'node:readline';
import { Hearsay, type HearsayOptions } from '../../src/index.js';

/** What the test passes in `argv[2]`. */
export interface AgentConfig {
  readonly name: string;
  /** `ip:port` inside the namespace. */
  readonly bind: string;
  /** Extra options (timing overrides); the preset defaults to `lan`. */
  readonly options?: Partial<HearsayOptions>;
}

const config = JSON.parse(process.argv[2] ?? '{}') as AgentConfig;
const out = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, t: Date.now(), ...fields })}\n`);
};

const node = new Hearsay({ preset: 'lan', ...config.options, name: config.name, bind: config.bind });
for (const event of ['join', 'update', 'suspect', 'alive', 'fail', 'leave'] as const) {
  node.on(event, ({ member }) => out(event, { member: member.name, state: member.state, incarnation: member.incarnation }));
}
node.on('self:health', ({ score, previous }) => out('self:health', { score, previous }));
node.on('self:refute', ({ incarnation, accuser, accusation }) => out('self:refute', { incarnation, accuser, accusation }));
node.on('self:isolated', ({ durationMs }) => out('self:isolated', { durationMs }));
void node.closed.then((error) => {
  if (error) out('error', { cmd: 'transport', error: error.message });
});

async function handle(line: string): Promise<void> {
  let cmd: { cmd?: string; seeds?: string[] };
  try {
    cmd = JSON.parse(line) as typeof cmd;
  } catch {
    out('error', { cmd: line, error: 'not JSON' });
    return;
  }
  try {
    switch (cmd.cmd) {
      case 'join':
        out('joined', { contacted: (await node.join(cmd.seeds ?? [])).contacted });
        break;
      case 'members':
        out('members', { members: node.members({ state: 'all' }).map((m) => ({ name: m.name, state: m.state, incarnation: m.incarnation })) });
        break;
      case 'leave':
        await node.leave({ timeoutMs: 5000 });
        out('left');
        break;
      case 'shutdown':
        await node.shutdown();
        process.exit(0);
        break;
      default:
        out('error', { cmd: cmd.cmd, error: 'unknown command' });
    }
  } catch (error) {
    out('error', { cmd: cmd.cmd, error: error instanceof Error ? error.message : String(error) });
  }
}

await node.start();
out('ready', { name: config.name, addr: node.localMember.address, pid: process.pid });
const input = createInterface({ input: process.stdin });
input.on('line', (line) => void handle(line));
input.on('close', () => {
  void node.shutdown().finally(() => process.exit(0));
});
