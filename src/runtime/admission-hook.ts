/**
 * The seam between the host's admission hook and the pure core: the core asks a synchronous
 * predicate that can never throw and always answers "admit" or a reason.
 * @module
 */
import type { AdmitFn } from '../core/admission.js';
import type { AdmissionHook } from '../hooks/admission.js';
import { METRIC, type Logger, type Metrics } from '../observability.js';

/**
 * Wraps `hook` for `CoreConfig.admit`. `true` admits; `false` vetoes ("vetoed by the admission
 * hook"); a string vetoes with that reason. A hook that throws or returns anything else vetoes:
 * fail closed, since an admission policy that cannot decide must not let members in. Such a call
 * is counted (`hearsay_admission_hook_errors_total`) and logged at error, as a throwing event
 * listener is: it is a bug in host code.
 * @returns `undefined` when there is no hook (everyone is admitted).
 */
export function admissionPredicate(hook: AdmissionHook | undefined, logger: Logger, metrics: Metrics): AdmitFn | undefined {
  if (hook === undefined) return undefined;
  return (member, via) => {
    let verdict: unknown;
    try {
      verdict = hook.admit(member, { via });
    } catch (error) {
      metrics.increment(METRIC.admissionHookErrors);
      logger.error({ err: error, member: member.name, address: member.address, via }, 'the admission hook threw; the member is vetoed');
      return `the admission hook threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (verdict === true) return undefined;
    if (verdict === false) return 'vetoed by the admission hook';
    if (typeof verdict === 'string') return verdict === '' ? 'vetoed by the admission hook' : verdict;
    metrics.increment(METRIC.admissionHookErrors);
    logger.error({ member: member.name, via, returned: typeof verdict }, 'the admission hook returned neither a boolean nor a string; the member is vetoed');
    return `the admission hook returned ${typeof verdict}, not true, false or a reason`;
  };
}
