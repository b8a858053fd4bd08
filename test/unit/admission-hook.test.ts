/**
 * The seam between the host's admission hook and the core (issue 9): verdicts, and a hook that
 * throws or answers nonsense vetoes (fail closed), counted and logged at error.
 */
import { describe, expect, it } from 'vitest';
import type { MemberSnapshot } from '../../src/events.js';
import { InvalidOptionsError } from '../../src/errors.js';
import type { AdmissionHook } from '../../src/hooks/admission.js';
import type { Logger, Metrics } from '../../src/observability.js';
import { resolveOptions } from '../../src/options.js';
import { admissionPredicate } from '../../src/runtime/admission-hook.js';

const MEMBER = { name: 'x', address: '10.0.0.9:7946' } as MemberSnapshot;

function sinks(): { logger: Logger; metrics: Metrics; errors: string[]; counted: string[] } {
  const errors: string[] = [];
  const counted: string[] = [];
  const none = (): void => {};
  return {
    errors,
    counted,
    logger: { debug: none, info: none, warn: none, error: (_f, msg) => errors.push(msg) },
    metrics: { increment: (name) => counted.push(name), gauge: none, observe: none },
  };
}

function verdictOf(admit: AdmissionHook['admit']): { reason: string | undefined; errors: string[]; counted: string[] } {
  const s = sinks();
  const reason = admissionPredicate({ admit }, s.logger, s.metrics)!(MEMBER, 'gossip');
  return { reason, errors: s.errors, counted: s.counted };
}

describe('admissionPredicate', () => {
  it('admits on true and vetoes on false or a reason, passing the via along', () => {
    const seen: string[] = [];
    const s = sinks();
    const p = admissionPredicate({ admit: (m, { via }) => (seen.push(`${m.name}/${via}`), true) }, s.logger, s.metrics)!;
    expect(p(MEMBER, 'join')).toBeUndefined();
    expect(seen).toEqual(['x/join']);
    expect(verdictOf(() => false).reason).toBe('vetoed by the admission hook');
    expect(verdictOf(() => 'wrong cluster').reason).toBe('wrong cluster');
    expect(verdictOf(() => '').reason).toBe('vetoed by the admission hook');
    expect(verdictOf(() => true)).toEqual({ reason: undefined, errors: [], counted: [] });
  });

  it('vetoes when the hook throws, counting and logging it at error', () => {
    const out = verdictOf(() => {
      throw new Error('policy store down');
    });
    expect(out.reason).toBe('the admission hook threw: policy store down');
    expect(out.counted).toEqual(['hearsay_admission_hook_errors_total']);
    expect(out.errors).toHaveLength(1);
  });

  it('vetoes an answer that is neither a boolean nor a string (a forgotten return)', () => {
    const out = verdictOf((() => undefined) as unknown as AdmissionHook['admit']);
    expect(out.reason).toMatch(/returned undefined/);
    expect(out.counted).toEqual(['hearsay_admission_hook_errors_total']);
  });

  it('is absent without a hook, and the option must be an object with admit()', () => {
    const s = sinks();
    expect(admissionPredicate(undefined, s.logger, s.metrics)).toBeUndefined();
    expect(resolveOptions({ name: 'n', admission: { admit: () => true } }).admission).toBeDefined();
    expect(() => resolveOptions({ name: 'n', admission: (() => true) as unknown as AdmissionHook })).toThrow(InvalidOptionsError);
    expect(() => resolveOptions({ name: 'n', admission: { admit: true } as unknown as AdmissionHook })).toThrow(/admission/);
  });
});
