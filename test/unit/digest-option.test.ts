/**
 * The `digestPushPull` option and the feature bits it gives (issue 12, item 2): on by default, off
 * on request, and off in effect with a `userState` hook (the digest legs carry no user state, so
 * such a node keeps memberlist's push/pull with everyone).
 */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/options.js';
import { features } from '../../src/runtime/core-config.js';
import { STATE_FEATURE } from '../../src/state/codec.js';
import { DIGEST_FEATURE } from '../../src/wire/digest-stream.js';

const hook = { local: (): Uint8Array => new Uint8Array(0), merge: (): void => {} };

describe('digestPushPull', () => {
  it('announces the digest bit by default, and not with the option off or a userState hook', () => {
    expect(features(resolveOptions({ name: 'a' }))).toBe(STATE_FEATURE | DIGEST_FEATURE);
    expect(features(resolveOptions({ name: 'a', digestPushPull: false }))).toBe(STATE_FEATURE);
    expect(features(resolveOptions({ name: 'a', userState: hook }))).toBe(STATE_FEATURE);
    expect(features(resolveOptions({ name: 'a', state: false }))).toBe(DIGEST_FEATURE);
    expect(features(resolveOptions({ name: 'a', state: false, digestPushPull: false }))).toBe(0);
  });

  it('must be a boolean', () => {
    expect(() => resolveOptions({ name: 'a', digestPushPull: 'yes' as unknown as boolean })).toThrow(expect.objectContaining({ field: 'digestPushPull' }));
  });
});
