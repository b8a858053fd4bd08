/**
 * The `hearsay` command. Dispatches to `agent`, the control-endpoint commands, `demo`,
 * `simulate` and `timing`; turns every failure into one line on stderr and a documented exit code
 * (see {@link EXIT}). Not part of the library: nothing in `src/index.ts` imports it.
 * @module
 */
import { runAgent } from './agent.js';
import { CLIENT_COMMANDS } from './commands.js';
import { runDemo } from './demo.js';
import { CliError, EXIT, UsageError, type ExitCode } from './exit.js';
import { HELP } from './help.js';
import { runSimulate } from './simulate-command.js';
import { runTiming } from './timing.js';
import { packageVersion } from './version.js';

async function run(argv: readonly string[]): Promise<ExitCode> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${HELP['']}\n`);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(`hearsay ${packageVersion()}\n`);
    return EXIT.ok;
  }
  if (command === 'help') {
    const topic = rest[0] ?? '';
    if (!(topic in HELP)) throw new UsageError(`help topic "${topic}"`, `is not a command; commands: ${Object.keys(HELP).filter(Boolean).join(', ')}`);
    process.stdout.write(`${HELP[topic]}\n`);
    return EXIT.ok;
  }
  const help = (): string => HELP[command] ?? HELP['']!;
  if (command === 'agent') return runAgent(rest, packageVersion(), help);
  if (command === 'demo') return runDemo(rest, help);
  if (command === 'simulate') return runSimulate(rest, help);
  if (command === 'timing') return runTiming(rest, help);
  const client = CLIENT_COMMANDS[command];
  if (client) return client(rest, help);
  throw new UsageError(`"${command}"`, `is not a hearsay command; commands: ${Object.keys(HELP).filter(Boolean).join(', ')}`);
}

const argv = process.argv.slice(2);
let code: ExitCode;
try {
  code = await run(argv);
} catch (error) {
  const where = argv[0] && !argv[0].startsWith('-') ? `hearsay ${argv[0]}` : 'hearsay';
  if (error instanceof CliError) {
    const hint = error instanceof UsageError && argv[0] && argv[0] in HELP ? ` (see ${where} --help)` : '';
    process.stderr.write(`${where}: ${error.message}${hint}\n`);
    code = error.exitCode;
  } else {
    process.stderr.write(`${where}: ${error instanceof Error ? error.message : String(error)}\n`);
    code = EXIT.failed;
  }
}
process.exit(code);
