// Pure retry rules for HINDSITE requests. A redelivery POST that may have reached the server is never sent again:
// doing so could create a second redelivery and send the customer's webhook twice.

export interface FailureFacts {
	method: string;
	/** HTTP status, when the server answered. */
	status?: number;
	/** Node/axios error code when there was no answer (ECONNREFUSED, ECONNRESET, ETIMEDOUT, ECONNABORTED, …). */
	networkCode?: string;
	/** Raw Retry-After header, if any. */
	retryAfter?: string;
}

export interface RetryPolicy {
	/** Retries after the first attempt. */
	maxRetries: number;
	baseDelayMs: number;
	maxDelayMs: number;
	/** A Retry-After longer than this is not waited for: the error tells the user instead. */
	maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxRetries: 3,
	baseDelayMs: 500,
	maxDelayMs: 8_000,
	maxRetryAfterMs: 60_000,
};

export type RetryDecision =
	| { retry: true; delayMs: number; reason: string }
	| { retry: false; outcomeUnknown: boolean };

// The connection was never made, so the server cannot have acted on the request.
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

export function isSafeMethod(method: string): boolean {
	return ['GET', 'HEAD', 'OPTIONS'].includes(method.toUpperCase());
}

/** Retry-After as milliseconds: delta-seconds or an HTTP date. Undefined when absent or unreadable. */
export function parseRetryAfterMs(value: string | undefined, nowMs = Date.now()): number | undefined {
	if (value === undefined) return undefined;
	const text = String(value).trim();
	if (/^\d+$/.test(text)) return Number(text) * 1000;
	// RFC 9110 HTTP-date (IMF-fixdate), e.g. "Wed, 21 Oct 2026 07:28:00 GMT"; nothing looser.
	if (!/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
	const date = Date.parse(text);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - nowMs);
}

export function backoffDelayMs(retriesDone: number, policy: RetryPolicy): number {
	return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retriesDone);
}

/**
 * Whether to send a failed request again. `retriesDone` counts the retries already made.
 * - 429 with a Retry-After (within the cap): the server refused without acting, so any method may be retried.
 * - A connection that was never made: any method may be retried.
 * - Safe methods (the polling GETs) are also retried on 429, 5xx and network failures, with backoff.
 * - Anything else on a POST stops here; 5xx, timeouts and dropped connections leave its outcome unknown.
 */
export function decideRetry(facts: FailureFacts, retriesDone: number, policy = DEFAULT_RETRY_POLICY): RetryDecision {
	const safe = isSafeMethod(facts.method);
	const outcomeUnknown =
		!safe &&
		((facts.status !== undefined && facts.status >= 500) ||
			(facts.status === undefined && !NOT_SENT_CODES.has(facts.networkCode ?? '')));
	const stop: RetryDecision = { retry: false, outcomeUnknown };
	if (retriesDone >= policy.maxRetries) return stop;

	const retryAfterMs = parseRetryAfterMs(facts.retryAfter);
	if (facts.status === 429 && retryAfterMs !== undefined) {
		if (retryAfterMs > policy.maxRetryAfterMs) return stop;
		return { retry: true, delayMs: retryAfterMs, reason: 'rate limited (429 with Retry-After)' };
	}
	if (facts.status === undefined && NOT_SENT_CODES.has(facts.networkCode ?? '')) {
		return { retry: true, delayMs: backoffDelayMs(retriesDone, policy), reason: `connection not made (${facts.networkCode})` };
	}
	if (!safe) return stop;
	if (facts.status !== undefined && TRANSIENT_STATUSES.has(facts.status)) {
		if (retryAfterMs !== undefined && retryAfterMs > policy.maxRetryAfterMs) return stop;
		const delayMs = retryAfterMs ?? backoffDelayMs(retriesDone, policy);
		return { retry: true, delayMs, reason: `HTTP ${facts.status}` };
	}
	if (facts.status === undefined) {
		return { retry: true, delayMs: backoffDelayMs(retriesDone, policy), reason: `network error (${facts.networkCode ?? 'unknown'})` };
	}
	return stop;
}
