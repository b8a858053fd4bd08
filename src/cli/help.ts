/**
 * `--help` text of every command. Kept beside each other so the wording stays consistent; the
 * same content, with examples, is in docs/cli.md.
 * @module
 */

const TARGET = `control endpoint (every command but agent, demo and simulate):
  --rpc-socket PATH       the agent's unix socket (default: $HEARSAY_RPC_SOCKET, else
                          $XDG_RUNTIME_DIR/hearsay/agent.sock or <tmp>/hearsay-<uid>/agent.sock)
  --rpc HOST:PORT         a TCP control endpoint instead (default: $HEARSAY_RPC_ADDR)
  --rpc-token-file PATH   its token file (default: the agent's, rpc-<port>.token beside the socket)`;

const EXITS = `exit codes: 0 ok · 1 the operation failed · 2 bad flag or argument · 3 agent unreachable`;

/** Help text by command; `''` is the top level. */
export const HELP: Readonly<Record<string, string>> = {
  '': `hearsay — gossip membership (SWIM + Lifeguard), wire-compatible with HashiCorp memberlist

usage: hearsay <command> [flags]     hearsay <command> --help     hearsay --version

commands:
  agent      run a node and serve a local control endpoint
  members    list the members an agent knows (table or --json)
  join       ask an agent to join more addresses
  leave      make an agent leave the cluster gracefully and exit
  tags       set or delete an agent's tags
  keys       list, install, use or remove encryption keys on an agent
  monitor    stream an agent's events and log lines
  info       show an agent's node, protocol settings and counts
  demo       a 5-node cluster on 127.0.0.1: join, failure, restart, leave, tags (seconds)
  simulate   run a large cluster on virtual time and chart it
  timing     detection and dissemination times per preset and size, from the formulas

${EXITS}`,

  agent: `usage: hearsay agent [flags]

Runs one node until SIGINT/SIGTERM (then leaves gracefully) or \`hearsay leave\`. Prints member
events and log lines on stdout (text, or JSON lines with --json) and serves a control endpoint
for the other commands: a unix socket with mode 0600 by default, or --rpc on loopback TCP with a
token in a mode-0600 file.

flags:
  --name NAME             node name, unique in the cluster (default: the host name)
  --bind IP:PORT          UDP and TCP address (default 0.0.0.0:7946; port 0 picks one)
  --advertise IP:PORT     the address peers should dial (needed behind NAT / in containers)
  --join ADDR,...         join these at start; failing to reach all of them is fatal (repeatable)
  --retry-join ADDR,...   keep trying these in the background until one answers (repeatable)
  --retry-interval DUR    wait between retry-join attempts (default 30s)
  --retry-max N           give up (and exit 1) after N attempts; 0 = never (default 0)
  --tag KEY=VALUE         a tag, serf-style (repeatable)
  --key BASE64            AES key of 16, 24 or 32 bytes; the first is primary (repeatable)
  --keyring-file PATH     JSON array of base64 keys, primary first; created from --key when
                          missing, rewritten when \`hearsay keys\` changes the ring
  --preset lan|wan|local  memberlist's timing presets (default lan)
  --label TEXT            cluster label (memberlist >= 0.3 peers only)
  --serf                  speak serf's delegate protocol, so serf agents list a leave as left
  --config FILE.json      settings as JSON: the flag names as keys (lists as arrays, "tags" as an
                          object), plus "options" for library options such as "probeIntervalMs"
  --snapshot PATH         remember the members seen and rejoin them after a restart
  --rejoin                rejoin from the snapshot even after a graceful leave
  --log-level LEVEL       debug, info, warn or error (default info)
  --json                  print JSON lines instead of text
  --rpc-socket PATH       serve the control endpoint on this unix socket
  --rpc IP:PORT           serve it on loopback TCP instead (127.0.0.1 or [::1]; port 0 picks one)
  --rpc-token-file PATH   where to write the TCP token (default <runtime dir>/rpc-<port>.token)

Flags override the config file. ${EXITS}`,

  members: `usage: hearsay members [--status S[,S…]] [--tag KEY=VALUE …] [--json]

Lists every member the agent knows, as a table (NAME ADDRESS STATUS INC TAGS) or JSON.

  --status S     only members in these states: alive, suspect, failed, left (repeatable)
  --tag K=V      only members with this exact tag (repeatable; all must match)
  --json         print {"members": [...]} instead of the table

${TARGET}

${EXITS}`,

  join: `usage: hearsay join ADDR [ADDR …]

Asks the agent to join more addresses (host:port, or a DNS name). Succeeds when at least one
answered; the ones that did not are listed on stderr.

${TARGET}

${EXITS}`,

  leave: `usage: hearsay leave

Makes the agent leave gracefully (peers see "left", not "failed"), then shut down and exit.

${TARGET}

${EXITS}`,

  tags: `usage: hearsay tags [--set KEY=VALUE …] [--delete KEY …] [--json]

Changes the agent's tags and gossips them; prints the tags now in force.

  --set K=V      add or replace a tag (repeatable)
  --delete K     remove a tag (repeatable)

${TARGET}

${EXITS}`,

  keys: `usage: hearsay keys --list | --install KEY | --use KEY | --remove KEY [--json]

Manages the agent's AES keyring (the agent must run with --key or --keyring-file). Changes apply
to this agent only: run the same command against every agent (install everywhere, then use,
then remove the old key). Cluster-wide key commands need cluster events, which hearsay does not
have yet. With --keyring-file the agent saves each change there.

  --list          list installed keys, primary first
  --install KEY   add a base64 key (16, 24 or 32 bytes) as a secondary key
  --use KEY       make an installed key the primary (the one that encrypts)
  --remove KEY    remove a secondary key

${TARGET}

${EXITS}`,

  monitor: `usage: hearsay monitor [--log-level LEVEL] [--json]

Streams the agent's member events and log lines until Ctrl-C.

  --log-level L  debug, info, warn or error (default info)
  --json         JSON lines instead of text

${TARGET}

${EXITS}`,

  info: `usage: hearsay info [--json]

Shows the agent's node (name, address, incarnation, tags, health), member counts by status,
encryption and the protocol settings in force.

${TARGET}

${EXITS}`,

  demo: `usage: hearsay demo [--json]

Starts 5 nodes on 127.0.0.1 in this process and walks through: everyone joins, a tag changes,
one node is killed (suspect, then failed), it restarts and rejoins, one leaves gracefully.
Shows a live table on a terminal and event lines otherwise; takes a few seconds piped and about
10 s on a terminal (each step is held so the table can be read), then exits.

  --json         print events as JSON lines

${EXITS}`,

  timing: `usage: hearsay timing [--preset lan|wan|local …] [--nodes N[,N…]] [--json]

Prints, for each preset and cluster size, what the protocol's formulas give: crash → suspect
(SWIM's expected first probe, e/(e−1) rounds for large n), the suspicion timeout range and the
confirmations that shorten it (Lifeguard), crash → fail, gossip rounds for an update to reach
everyone, sends per update, and the scaled push/pull period. Estimates; \`hearsay simulate\`
measures. Default: every preset at 5, 100 and 1000 nodes.

${EXITS}`,

  simulate: `usage: hearsay simulate [--nodes 100] [--start auto|join|converged] [--loss 0] [--crashes 1]
                         [--seed 1] [--out hearsay-sim.svg] [--heap MB] [--no-lifeguard]

Runs a whole cluster on virtual time (one process, no sockets): the cluster forms, one metadata
update spreads, then nodes crash. Prints convergence, dissemination (seconds and gossip rounds),
detection, false failures, bandwidth, speed (simulated s per wall s) and heap, and writes an SVG
chart (dissemination, detection CDF, bandwidth over time).

  --start auto       join storm up to 1000 nodes, converged start above (default)
  --start join       every node joins through n0, simulated (minutes of wall time at 1000s of nodes)
  --start converged  every node starts with the state a join storm settles into: nothing of the
                     storm is simulated (bootstrapConverged); the run begins at steady state
  --heap MB          heap limit (default: estimated from --nodes, at most 16384); when node's
                     limit is lower, the command restarts node with it (10,000 nodes need ~16 GiB)

${EXITS}`,
};
