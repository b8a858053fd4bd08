/**
 * Scenarios: the assertions of the interop issue, shared by the plain, encrypted and compression
 * runs and by the Go-only baseline (which shows that real memberlist itself behaves as asserted).
 * @module
 */
import { expect } from 'vitest';
import type { MemberSnapshot } from '../../src/index.js';
import { concat } from '../../src/testing/bytes.js';
import { waitUntil } from '../../src/testing/wait.js';
import { GoState, hex, type GoPeer } from './go-peer.js';
import { describeEvent, describeMembers, hearsayTail, waitForEvent, waitForMemberEvent, type HearsayHandle, type Recorded } from './hearsay-node.js';
import { initialGoMeta, runningGo, runningHearsay, type MixedCluster } from './mixed-cluster.js';
import { STEP_MS } from './timing.js';

const utf8 = new TextEncoder();

/** Cursor (next event index) of every node, to wait only for events after an action. */
function cursors(c: MixedCluster): Map<HearsayHandle | GoPeer, number> {
  const m = new Map<HearsayHandle | GoPeer, number>();
  for (const h of c.hearsay) m.set(h, h.events.length);
  for (const g of c.go) m.set(g, g.cursor);
  return m;
}

/**
 * First `leave` or `fail` event about `name` recorded by `h` at index ≥ `from`. Lets a test
 * assert *which* one came, instead of waiting for the expected one and timing out.
 */
export async function firstDeparture(h: HearsayHandle, name: string, from: number, timeoutMs = STEP_MS): Promise<Recorded> {
  return waitUntil(
    () =>
      h.events
        .slice(from)
        .find((e) => (e.type === 'leave' || e.type === 'fail') && (e.payload as { member: MemberSnapshot }).member.name === name),
    timeoutMs,
    () =>
      `hearsay ${h.name} never emitted leave/fail for ${name}; members: ${describeMembers(h.node.members({ state: 'all' }))}; ` +
      `drops: ${h.metrics.dump('hearsay_packets_dropped_total') || 'none'}\n${hearsayTail(h)}`,
  );
}

/**
 * Scenario 1 detail: every Go peer sees every hearsay node at its real address with the exact
 * metadata bytes and Vsn hearsay advertises, and every hearsay node sees every Go peer likewise.
 */
export async function checkMemberDetails(c: MixedCluster, goDelegate: readonly number[] = [0, 0, 0]): Promise<void> {
  for (const g of runningGo(c)) {
    const view = await g.members();
    for (const h of runningHearsay(c)) {
      const me = h.node.localMember;
      const n = view.find((x) => x.name === h.name);
      expect(n, `${g.name} lists ${h.name}`).toBeDefined();
      expect({ addr: `${n!.addr}:${n!.port}`, meta: n!.meta, state: n!.state }, `${g.name}'s view of ${h.name}`).toEqual({
        addr: h.addr,
        meta: hex(me.metadata),
        state: GoState.alive,
      });
      const v = me.versions;
      expect(n!.vsn, `${g.name} sees ${h.name}'s Vsn`).toEqual([v.protocolMin, v.protocolMax, v.protocolCurrent, v.delegateMin, v.delegateMax, v.delegateCurrent]);
    }
  }
  for (const h of runningHearsay(c)) {
    const view = h.node.members();
    for (const g of runningGo(c)) {
      const m = view.find((x) => x.name === g.name);
      expect(m, `${h.name} lists ${g.name}`).toBeDefined();
      expect({ address: m!.address, state: m!.state, meta: hex(m!.metadata) }, `${h.name}'s view of ${g.name}`).toEqual({
        address: g.addr,
        state: 'alive',
        meta: hex(initialGoMetaOf(g)),
      });
      expect(m!.versions, `${h.name} sees ${g.name}'s Vsn`).toEqual({
        protocolMin: 1,
        protocolMax: 5,
        protocolCurrent: 2,
        delegateMin: goDelegate[0],
        delegateMax: goDelegate[1],
        delegateCurrent: goDelegate[2],
      });
    }
  }
}

const goMetaNow = new WeakMap<GoPeer, Uint8Array>();
function initialGoMetaOf(g: GoPeer): Uint8Array {
  return goMetaNow.get(g) ?? initialGoMeta(g.name);
}

/**
 * Scenario 4: `setMetadata` on a hearsay node reaches every Go peer's NotifyUpdate with the same
 * bytes (and every other hearsay node's `update`); Go `UpdateNode` reaches every hearsay node as
 * `update` with the new bytes and the old ones in `previous`. The bytes are deliberately not
 * UTF-8 and contain msgpack marker values, so a str/bin or UTF-8 mix-up shows.
 */
export async function checkMetadataBothWays(c: MixedCluster, fromH: HearsayHandle | undefined, fromG: GoPeer | undefined): Promise<void> {
  if (fromH) {
    const raw = concat([0x00, 0xff, 0xc4, 0x80, 0xfe, 0xd9, 0x22, 0x5c, 0xc3], utf8.encode(`meta from ${fromH.name}`));
    const at = cursors(c);
    await fromH.node.setMetadata(raw);
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('update', fromH.name, undefined, STEP_MS, at.get(g));
      expect(n.meta, `${g.name} NotifyUpdate(${fromH.name}).Meta`).toBe(hex(raw));
    }
    for (const h of runningHearsay(c, fromH)) {
      const m = await waitForMemberEvent(h, 'update', fromH.name, undefined, STEP_MS, at.get(h));
      expect(hex(m.metadata), `${h.name} update(${fromH.name}).metadata`).toBe(hex(raw));
    }
  }
  if (fromG) {
    const before = initialGoMetaOf(fromG);
    const raw = concat([0x01, 0x00, 0xfe, 0xc4, 0x80, 0xa5, 0xda], utf8.encode(`meta from ${fromG.name}`));
    const at = cursors(c);
    await fromG.setMeta(raw);
    goMetaNow.set(fromG, raw);
    for (const h of runningHearsay(c)) {
      const ev = await waitForEvent(h, 'update', (p) => p.member.name === fromG.name, STEP_MS, at.get(h));
      expect(hex(ev.member.metadata), `${h.name} update(${fromG.name}).member.metadata`).toBe(hex(raw));
      expect(hex(ev.previous.metadata), `${h.name} update(${fromG.name}).previous.metadata`).toBe(hex(before));
      expect(ev.member.state).toBe('alive');
    }
    for (const g of runningGo(c, fromG)) {
      const n = await g.waitForNode('update', fromG.name, undefined, STEP_MS, at.get(g));
      expect(n.meta).toBe(hex(raw));
    }
  }
}

/**
 * Scenario 3: hearsay `leave()` → every Go peer's NotifyLeave shows the node *left* (state 3),
 * not dead; Go `Leave()` → every hearsay node emits `leave` (not `fail`). Leavers are shut down
 * afterwards.
 */
export async function checkLeaveBothWays(c: MixedCluster, leaverH: HearsayHandle | undefined, leaverG: GoPeer | undefined): Promise<void> {
  if (leaverH) {
    const at = cursors(c);
    await leaverH.node.leave({ timeoutMs: 5000 });
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', leaverH.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${leaverH.name} after its leave() (3 = left, 2 = dead)`).toBe(GoState.left);
    }
    for (const h of runningHearsay(c, leaverH)) {
      const e = await firstDeparture(h, leaverH.name, at.get(h)!);
      expect(e.type, `${h.name}: event for ${leaverH.name}'s leave()`).toBe('leave');
    }
    await leaverH.node.shutdown();
  }
  if (leaverG) {
    const at = cursors(c);
    await leaverG.leave(5000);
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, leaverG.name, at.get(h)!);
      expect(e.type, `${h.name}: event for ${leaverG.name}'s Leave()`).toBe('leave');
      expect((e.payload as { member: MemberSnapshot }).member.state).toBe('left');
    }
    for (const g of runningGo(c, leaverG)) {
      const n = await g.waitForNode('leave', leaverG.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${leaverG.name} after Leave()`).toBe(GoState.left);
    }
    await leaverG.stop();
  }
}

/**
 * Scenario 2: a Go peer killed with SIGKILL → every hearsay node emits `fail` (not `leave`); a
 * hearsay node shut down without leaving → every Go peer's NotifyLeave shows it dead (state 2).
 */
export async function checkFailBothWays(c: MixedCluster, victimG: GoPeer | undefined, victimH: HearsayHandle | undefined): Promise<void> {
  if (victimG) {
    const at = cursors(c);
    await victimG.kill();
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, victimG.name, at.get(h)!);
      expect(e.type, `${h.name}: event for SIGKILLed ${victimG.name}`).toBe('fail');
      expect((e.payload as { member: MemberSnapshot }).member.state).toBe('dead');
    }
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', victimG.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of SIGKILLed ${victimG.name}`).toBe(GoState.dead);
    }
  }
  if (victimH) {
    const at = cursors(c);
    await victimH.node.shutdown();
    for (const g of runningGo(c)) {
      const n = await g.waitForNode('leave', victimH.name, undefined, STEP_MS, at.get(g));
      expect(n.state, `${g.name}: state of ${victimH.name} after shutdown() without leave (2 = dead, 3 = left)`).toBe(GoState.dead);
    }
    for (const h of runningHearsay(c)) {
      const e = await firstDeparture(h, victimH.name, at.get(h)!);
      expect(e.type, `${h.name}: event for crashed ${victimH.name}`).toBe('fail');
    }
  }
}

/** `name` is in nobody's member list and no node ever emitted an event about it. */
export async function expectNeverSeen(c: MixedCluster, name: string): Promise<void> {
  for (const h of runningHearsay(c)) {
    expect(h.node.members({ state: 'all' }).map((m) => m.name), `${h.name}'s members`).not.toContain(name);
    expect(h.events.filter((e) => (e.payload as { member?: MemberSnapshot }).member?.name === name).map(describeEvent), `${h.name}'s events about ${name}`).toEqual([]);
  }
  for (const g of runningGo(c)) {
    expect((await g.members()).map((m) => m.name), `${g.name}'s members`).not.toContain(name);
    expect(g.events.filter((e) => 'node' in e && e.node.name === name), `${g.name}'s events about ${name}`).toEqual([]);
  }
}

/**
 * Rotates the primary key on every running node the memberlist way: install `next` everywhere,
 * then make it primary everywhere, then remove `prev` everywhere. At no point does any node
 * encrypt with a key some other node lacks.
 */
export async function rotateKeys(c: MixedCluster, prev: Uint8Array, next: Uint8Array): Promise<void> {
  const ring = (h: HearsayHandle) => {
    const k = h.node.keyring;
    if (!k) throw new Error(`${h.name} has no keyring`);
    return k;
  };
  for (const h of runningHearsay(c)) ring(h).addKey(next);
  for (const g of runningGo(c)) await g.keyring('add', next);
  for (const h of runningHearsay(c)) ring(h).useKey(next);
  for (const g of runningGo(c)) await g.keyring('use', next);
  for (const h of runningHearsay(c)) ring(h).removeKey(prev);
  for (const g of runningGo(c)) {
    const r = await g.keyring('remove', prev);
    expect(r.keys).toEqual([Buffer.from(next).toString('base64')]);
  }
  for (const h of runningHearsay(c)) expect(ring(h).keys.map(hex)).toEqual([hex(next)]);
}
