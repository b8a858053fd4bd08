/**
 * The CLI's exit codes and the two errors that carry them. A runtime error prints one line and
 * exits with its code; nothing prints a stack or the usage text unasked.
 * @module
 */

/** Process exit codes of every `hearsay` command (documented in `docs/cli.md` and `hearsay --help`). */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** The operation failed: the agent could not start or join, or it reported an error. */
  failed: 1,
  /** A bad flag, argument or config file: nothing was done. */
  usage: 2,
  /** The agent's control endpoint could not be reached or refused us (not running, wrong path, bad token). */
  unreachable: 3,
} as const;
/** One of the {@link EXIT} codes. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** An error the CLI reports as one line on stderr, then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A bad flag or argument: names the flag and the rule it broke. Exits with {@link EXIT}.usage. */
export class UsageError extends CliError {
  constructor(
    readonly flag: string,
    rule: string,
  ) {
    super(`${flag} ${rule}`, EXIT.usage);
    this.name = 'UsageError';
  }
}
