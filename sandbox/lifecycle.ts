/**
 * The delivery lifecycle, as pure functions of a scenario and the nominal time elapsed since the
 * delivery was created. No timers: the server asks "what does this delivery look like now?" and
 * the answer is computed from the clock.
 *
 * pending -> in_progress -> retrying -> in_progress -> ... -> completed | errored
 */

export type DeliveryState = 'pending' | 'in_progress' | 'retrying' | 'completed' | 'errored';

export const DELIVERY_STATES: readonly DeliveryState[] = ['pending', 'in_progress', 'retrying', 'completed', 'errored'];

export const TERMINAL_STATES: readonly DeliveryState[] = ['completed', 'errored'];

export interface DeliveryResponse {
	code: number | null;
	error: string | null;
}

/** How a delivery's attempts play out, in nominal (unscaled) seconds. */
export interface Scenario {
	/** 'never' keeps retrying forever. */
	outcome: 'completed' | 'errored' | 'never';
	/** Failed attempts before the final one. For 'errored' this is the total number of attempts (at least 1). */
	failedAttempts: number;
	/** Time in `pending` before the first attempt (default 1). */
	pendingSeconds?: number;
	/** Time each attempt stays `in_progress` (default 1). */
	attemptSeconds?: number;
	/** Time in `retrying` between attempts (default 5). */
	retryDelaySeconds?: number;
	/** Response recorded by a failed attempt; default `{ code: null, error: 'connection_timeout' }`. */
	failure?: DeliveryResponse;
}

export type ScenarioName = 'fastSuccess' | 'slowSuccess' | 'erroredAfter3' | 'neverSettles';

export const SCENARIOS: Record<ScenarioName, Scenario> = {
	fastSuccess: { outcome: 'completed', failedAttempts: 0, pendingSeconds: 1, attemptSeconds: 1 },
	slowSuccess: {
		outcome: 'completed',
		failedAttempts: 2,
		pendingSeconds: 2,
		attemptSeconds: 3,
		retryDelaySeconds: 10,
		failure: { code: 503, error: null },
	},
	erroredAfter3: {
		outcome: 'errored',
		failedAttempts: 3,
		pendingSeconds: 1,
		attemptSeconds: 1,
		retryDelaySeconds: 5,
		failure: { code: null, error: 'connection_timeout' },
	},
	neverSettles: {
		outcome: 'never',
		failedAttempts: 0,
		pendingSeconds: 1,
		attemptSeconds: 1,
		retryDelaySeconds: 5,
		failure: { code: 500, error: null },
	},
};

export const SUCCESS_RESPONSE: DeliveryResponse = { code: 200, error: null };
export const DEFAULT_FAILURE: DeliveryResponse = { code: null, error: 'connection_timeout' };

export interface ResolvedScenario {
	outcome: Scenario['outcome'];
	/** Total attempts; Infinity for 'never'. */
	attempts: number;
	pending: number;
	attempt: number;
	retryDelay: number;
	failure: DeliveryResponse;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
	const v = value === undefined ? fallback : value;
	if (!Number.isFinite(v) || v < 0) throw new RangeError(`scenario.${name} must be a finite number >= 0, got ${String(value)}`);
	return v;
}

export function resolveScenario(scenario: Scenario): ResolvedScenario {
	if (!scenario || !['completed', 'errored', 'never'].includes(scenario.outcome)) {
		throw new RangeError(`scenario.outcome must be completed, errored or never`);
	}
	const failed = nonNegative(scenario.failedAttempts, 0, 'failedAttempts');
	if (!Number.isInteger(failed)) throw new RangeError('scenario.failedAttempts must be an integer');
	const resolved: ResolvedScenario = {
		outcome: scenario.outcome,
		attempts:
			scenario.outcome === 'never' ? Infinity : scenario.outcome === 'completed' ? failed + 1 : Math.max(1, failed),
		pending: nonNegative(scenario.pendingSeconds, 1, 'pendingSeconds'),
		attempt: nonNegative(scenario.attemptSeconds, 1, 'attemptSeconds'),
		retryDelay: nonNegative(scenario.retryDelaySeconds, 5, 'retryDelaySeconds'),
		failure: scenario.failure ? { code: scenario.failure.code, error: scenario.failure.error } : { ...DEFAULT_FAILURE },
	};
	if (resolved.outcome === 'never' && resolved.attempt + resolved.retryDelay <= 0) {
		throw new RangeError('a never-settling scenario needs attemptSeconds + retryDelaySeconds > 0');
	}
	return resolved;
}

export interface LifecyclePoint {
	state: DeliveryState;
	response: DeliveryResponse | null;
	/** Nominal seconds after creation at which the delivery entered this state (its updated_at). */
	since: number;
	/** 1-based number of the current or last attempt; 0 while pending. */
	attempt: number;
}

/** The delivery's state `elapsed` nominal seconds after creation. */
export function lifecycleAt(scenario: Scenario | ResolvedScenario, elapsed: number): LifecyclePoint {
	const s = 'attempts' in scenario ? scenario : resolveScenario(scenario);
	const t = Math.max(0, elapsed);
	if (t < s.pending) return { state: 'pending', response: null, since: 0, attempt: 0 };
	const cycle = s.attempt + s.retryDelay;
	let k = cycle > 0 ? Math.floor((t - s.pending) / cycle) : Infinity;
	if (k > s.attempts - 1) k = s.attempts - 1;
	const start = s.pending + k * cycle;
	const end = start + s.attempt;
	const lastAttempt = k === s.attempts - 1;
	if (t < end) {
		return { state: 'in_progress', response: k === 0 ? null : { ...s.failure }, since: start, attempt: k + 1 };
	}
	if (lastAttempt) {
		const response = s.outcome === 'completed' ? { ...SUCCESS_RESPONSE } : { ...s.failure };
		return { state: s.outcome === 'completed' ? 'completed' : 'errored', response, since: end, attempt: k + 1 };
	}
	return { state: 'retrying', response: { ...s.failure }, since: end, attempt: k + 1 };
}

/** Nominal seconds from creation until the delivery settles; Infinity when it never does. */
export function settleTime(scenario: Scenario | ResolvedScenario): number {
	const s = 'attempts' in scenario ? scenario : resolveScenario(scenario);
	if (!Number.isFinite(s.attempts)) return Infinity;
	return s.pending + (s.attempts - 1) * (s.attempt + s.retryDelay) + s.attempt;
}

/**
 * The full sequence of states a scenario goes through (each with the nominal second it starts),
 * truncated after `maxSteps` entries for never-settling scenarios.
 */
export function lifecycleTransitions(scenario: Scenario | ResolvedScenario, maxSteps = 1000): LifecyclePoint[] {
	const s = 'attempts' in scenario ? scenario : resolveScenario(scenario);
	const steps: LifecyclePoint[] = [{ state: 'pending', response: null, since: 0, attempt: 0 }];
	for (let k = 0; k < s.attempts && steps.length < maxSteps; k++) {
		const start = s.pending + k * (s.attempt + s.retryDelay);
		steps.push({ state: 'in_progress', response: k === 0 ? null : { ...s.failure }, since: start, attempt: k + 1 });
		if (k === s.attempts - 1) {
			const completed = s.outcome === 'completed';
			steps.push({
				state: completed ? 'completed' : 'errored',
				response: completed ? { ...SUCCESS_RESPONSE } : { ...s.failure },
				since: start + s.attempt,
				attempt: k + 1,
			});
		} else {
			steps.push({ state: 'retrying', response: { ...s.failure }, since: start + s.attempt, attempt: k + 1 });
		}
	}
	return steps.slice(0, maxSteps);
}

/** Moves the seed's lifecycle allows between two consecutive states. */
export const ALLOWED_TRANSITIONS: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = {
	pending: ['in_progress'],
	in_progress: ['retrying', 'completed', 'errored'],
	retrying: ['in_progress'],
	completed: [],
	errored: [],
};
