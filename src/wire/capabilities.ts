/**
 * What a peer can do, read from its `Vsn` (reference §4): features key on the *peer's* highest
 * protocol version (PMax, `Vsn[1]`), never on the version it currently speaks, as memberlist does.
 * The one place that maps protocol versions to capabilities; nothing else reads `vsn[1]`.
 * @module
 */

/** The lowest protocol version a member speaks (`Vsn[0]`, PMin); 0 when its `Vsn` is missing. */
export function protocolMin(vsn: Uint8Array): number {
  return vsn[0] ?? 0;
}

/** The highest protocol version a member speaks (`Vsn[1]`, PMax); 0 when its `Vsn` is missing. */
export function protocolMax(vsn: Uint8Array): number {
  return vsn[1] ?? 0;
}

/**
 * Whether an alive's `Vsn` may be accepted: fewer than 3 bytes (absent), or PMin and PMax both
 * non-zero with PMin ≤ PMax (memberlist `aliveNode`'s "protocol versions are wrong" check).
 */
export function protocolRangeValid(vsn: Uint8Array): boolean {
  if (vsn.length < 3) return true;
  const pmin = protocolMin(vsn);
  const pmax = protocolMax(vsn);
  return pmin !== 0 && pmax !== 0 && pmin <= pmax;
}

/** Protocol ≥ 3: answers a ping over TCP, so a probe can fall back to it when UDP fails. */
export function supportsTcpPing(vsn: Uint8Array): boolean {
  return protocolMax(vsn) >= 3;
}

/** Protocol ≥ 4: as a relay, sends a nack when the indirect target does not answer (Lifeguard §IV-A). */
export function supportsNack(vsn: Uint8Array): boolean {
  return protocolMax(vsn) >= 4;
}

/** Protocol ≥ 5: expects (and checks) a CRC header on datagrams sent to it (reference §2.1). */
export function supportsCrc(vsn: Uint8Array): boolean {
  return protocolMax(vsn) >= 5;
}
