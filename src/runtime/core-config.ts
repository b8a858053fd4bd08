/**
 * From a node's resolved options to its core's configuration.
 * @module
 */
import type { CoreConfig } from '../core/config.js';
import type { ResolvedOptions } from '../options.js';
import { STATE_FEATURE } from '../state/codec.js';
import { DIGEST_FEATURE } from '../wire/digest-stream.js';
import { encryptionOverhead } from '../wire/keyring.js';

/** The core configuration of a node advertising `addr:port` with metadata `meta`. */
export function coreConfig(o: ResolvedOptions, meta: Uint8Array, addr: Uint8Array, port: number): CoreConfig {
  const d = o.delegateProtocol;
  return {
    probeIntervalMs: o.probeIntervalMs,
    probeTimeoutMs: o.probeTimeoutMs,
    indirectChecks: o.indirectChecks,
    retransmitMult: o.retransmitMult,
    suspicionMult: o.suspicionMult,
    suspicionMaxTimeoutMult: o.suspicionMaxTimeoutMult,
    pushPullIntervalMs: o.pushPullIntervalMs,
    gossipIntervalMs: o.gossipIntervalMs,
    gossipNodes: o.gossipNodes,
    gossipToTheDeadMs: o.gossipToTheDeadMs,
    awarenessMaxMultiplier: o.awarenessMaxMultiplier,
    tcpTimeoutMs: o.tcpTimeoutMs,
    disableTcpPings: o.disableTcpPings,
    packetBudgetBytes: o.packetBudgetBytes,
    packetOverheadBytes: packetOverhead(o),
    deadNodeReclaimMs: o.deadNodeReclaimMs,
    name: o.name,
    advertiseAddr: addr,
    advertisePort: port,
    meta,
    vsn: Uint8Array.of(1, 5, o.protocolVersion, d.min, d.max, d.version),
    protocolVersion: o.protocolVersion,
    reportProbes: o.ping?.onProbe !== undefined,
    ...(features(o) === 0 ? {} : { features: features(o) }),
  };
}

/**
 * The hearsay features a node announces (`Hf`): the state layer unless `state: false`, and digest
 * push/pull unless `digestPushPull: false` or a `userState` hook is set. The digest exchange
 * carries no user state, so a node with the hook keeps memberlist's push/pull with everyone (its
 * peers see no bit and never start a digest exchange with it), and the hook sees every exchange.
 */
export function features(o: ResolvedOptions): number {
  return (o.state === false ? 0 : STATE_FEATURE) | (o.digestPushPull && o.userState === undefined ? DIGEST_FEATURE : 0);
}

/**
 * Bytes the driver adds to a gossip datagram after the core packed it, as memberlist subtracts
 * them from `UDPBufferSize` before packing (`net.go`, `state.go`): the label (`F4 len label`) and,
 * only when this node encrypts what it sends (`encryptOutgoing`, memberlist
 * `GossipVerifyOutgoing`), the encryption envelope (version 1: 29 bytes). The CRC header (5 bytes)
 * is not counted, as in memberlist, whose datagrams can be `UDPBufferSize` + 5 bytes.
 */
export function packetOverhead(o: ResolvedOptions): number {
  const label = o.label === undefined ? 0 : 2 + new TextEncoder().encode(o.label).length;
  return label + (o.secretKeys.length > 0 && o.encryptOutgoing ? encryptionOverhead(1) : 0);
}
