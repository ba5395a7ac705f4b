import {
	DEFAULT_RETRY_POLICY,
	backoffDelayMs,
	decideRetry,
	isSafeMethod,
	parseRetryAfterMs,
	type FailureFacts,
	type RetryDecision,
	type RetryPolicy,
} from '../../nodes/HindsiteWebhookDelivery/helpers/retryPolicy';

const POLICY: RetryPolicy = { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };
const NOW = Date.parse('2024-05-01T10:00:00.000Z');

const stopUnknown: RetryDecision = { retry: false, outcomeUnknown: true };
const stopKnown: RetryDecision = { retry: false, outcomeUnknown: false };
const retryAfter = (delayMs: number) => ({ retry: true, delayMs });

afterEach(() => {
	jest.restoreAllMocks();
});

describe('decideRetry', () => {
	beforeEach(() => {
		jest.spyOn(Date, 'now').mockReturnValue(NOW);
	});

	it.each<[string, FailureFacts, number, Partial<RetryDecision>]>([
		// A redelivery POST that may have reached HINDSITE is never sent again.
		['a POST answered 500 is not sent again; its outcome is unknown', { method: 'POST', status: 500 }, 0, stopUnknown],
		['a POST answered 502 is not sent again; its outcome is unknown', { method: 'POST', status: 502 }, 0, stopUnknown],
		['a POST answered 503 is not sent again; its outcome is unknown', { method: 'POST', status: 503 }, 0, stopUnknown],
		['a POST answered 504 is not sent again; its outcome is unknown', { method: 'POST', status: 504 }, 0, stopUnknown],
		['a POST answered 503 with Retry-After is still not sent again', { method: 'POST', status: 503, retryAfter: '1' }, 0, stopUnknown],
		['a POST answered 501 is not sent again; its outcome is unknown', { method: 'POST', status: 501 }, 0, stopUnknown],
		['a POST whose connection was reset is not sent again', { method: 'POST', networkCode: 'ECONNRESET' }, 0, stopUnknown],
		['a POST that timed out is not sent again', { method: 'POST', networkCode: 'ETIMEDOUT' }, 0, stopUnknown],
		['a POST aborted by the client timeout is not sent again', { method: 'POST', networkCode: 'ECONNABORTED' }, 0, stopUnknown],
		['a POST that hit a broken pipe is not sent again', { method: 'POST', networkCode: 'EPIPE' }, 0, stopUnknown],
		['a POST with an unrecognised network error is not sent again', { method: 'POST', networkCode: 'ESOMETHINGELSE' }, 0, stopUnknown],
		['a POST that failed with no status and no code is not sent again', { method: 'POST' }, 0, stopUnknown],
		['a lower-case post is treated as a POST', { method: 'post', status: 502 }, 0, stopUnknown],

		// A refusal is a known outcome: nothing happened, and sending it again would not help.
		['a POST answered 400 is not retried; nothing happened', { method: 'POST', status: 400 }, 0, stopKnown],
		['a POST answered 401 is not retried; nothing happened', { method: 'POST', status: 401 }, 0, stopKnown],
		['a POST answered 403 is not retried; nothing happened', { method: 'POST', status: 403 }, 0, stopKnown],
		['a POST answered 404 is not retried; nothing happened', { method: 'POST', status: 404 }, 0, stopKnown],
		['a POST answered 422 is not retried; nothing happened', { method: 'POST', status: 422 }, 0, stopKnown],

		// 429 with Retry-After: the server refused without acting, so even a POST may go again.
		['a POST answered 429 with Retry-After 2 is retried after 2 s', { method: 'POST', status: 429, retryAfter: '2' }, 0, retryAfter(2_000)],
		['a POST answered 429 with Retry-After 0 is retried at once', { method: 'POST', status: 429, retryAfter: '0' }, 0, retryAfter(0)],
		['a POST answered 429 with Retry-After at the cap is retried after the cap', { method: 'POST', status: 429, retryAfter: '60' }, 0, retryAfter(60_000)],
		['a POST answered 429 without Retry-After is not retried', { method: 'POST', status: 429 }, 0, stopKnown],
		['a POST answered 429 with an unreadable Retry-After is not retried', { method: 'POST', status: 429, retryAfter: 'soon' }, 0, stopKnown],
		['a POST answered 429 with Retry-After over the cap is not waited for', { method: 'POST', status: 429, retryAfter: '61' }, 0, stopKnown],

		// A connection that was never made cannot have reached the server.
		['a POST whose connection was refused is retried with backoff', { method: 'POST', networkCode: 'ECONNREFUSED' }, 0, retryAfter(500)],
		['a POST whose host was not found is retried with backoff', { method: 'POST', networkCode: 'ENOTFOUND' }, 1, retryAfter(1_000)],
		['a POST whose DNS lookup failed for now is retried with backoff', { method: 'POST', networkCode: 'EAI_AGAIN' }, 2, retryAfter(2_000)],

		// The polling GETs are safe to repeat.
		['a GET answered 429 with Retry-After is retried after it', { method: 'GET', status: 429, retryAfter: '3' }, 0, retryAfter(3_000)],
		['a GET answered 429 without Retry-After is retried with backoff', { method: 'GET', status: 429 }, 0, retryAfter(500)],
		['a GET answered 429 with Retry-After over the cap is not waited for', { method: 'GET', status: 429, retryAfter: '3600' }, 0, stopKnown],
		['a GET answered 500 is retried with backoff', { method: 'GET', status: 500 }, 0, retryAfter(500)],
		['a GET answered 502 is retried with backoff', { method: 'GET', status: 502 }, 1, retryAfter(1_000)],
		['a GET answered 503 is retried with backoff', { method: 'GET', status: 503 }, 2, retryAfter(2_000)],
		['a GET answered 504 is retried with backoff', { method: 'GET', status: 504 }, 0, retryAfter(500)],
		['a GET answered 503 with Retry-After is retried after it', { method: 'GET', status: 503, retryAfter: '7' }, 0, retryAfter(7_000)],
		['a GET whose connection was reset is retried', { method: 'GET', networkCode: 'ECONNRESET' }, 0, retryAfter(500)],
		['a GET that timed out is retried', { method: 'GET', networkCode: 'ETIMEDOUT' }, 1, retryAfter(1_000)],
		['a GET aborted by the client timeout is retried', { method: 'GET', networkCode: 'ECONNABORTED' }, 0, retryAfter(500)],
		['a GET with an unrecognised network error is retried', { method: 'GET' }, 0, retryAfter(500)],
		['a GET whose connection was refused is retried', { method: 'GET', networkCode: 'ECONNREFUSED' }, 0, retryAfter(500)],
		['a lower-case get is treated as a GET', { method: 'get', status: 503 }, 0, retryAfter(500)],
		['a GET answered 400 is not retried', { method: 'GET', status: 400 }, 0, stopKnown],
		['a GET answered 401 is not retried', { method: 'GET', status: 401 }, 0, stopKnown],
		['a GET answered 403 is not retried', { method: 'GET', status: 403 }, 0, stopKnown],
		['a GET answered 404 is not retried', { method: 'GET', status: 404 }, 0, stopKnown],
		['a GET answered 422 is not retried', { method: 'GET', status: 422 }, 0, stopKnown],
		['a GET answered 501 is not retried', { method: 'GET', status: 501 }, 0, stopKnown],

		// Retries stop at maxRetries, whatever the failure.
		['a GET answered 503 after 3 retries is not retried again', { method: 'GET', status: 503 }, 3, stopKnown],
		['a GET that timed out after 3 retries is not retried again', { method: 'GET', networkCode: 'ETIMEDOUT' }, 3, stopKnown],
		['a GET answered 429 with Retry-After after 3 retries is not retried again', { method: 'GET', status: 429, retryAfter: '1' }, 3, stopKnown],
		['a POST answered 429 with Retry-After after 3 retries is not retried again', { method: 'POST', status: 429, retryAfter: '1' }, 3, stopKnown],
		['a refused POST after 3 retries is not retried again; nothing was sent', { method: 'POST', networkCode: 'ECONNREFUSED' }, 3, stopKnown],
		['a POST answered 502 after retries keeps its outcome unknown', { method: 'POST', status: 502 }, 3, stopUnknown],
	])('%s', (_label, facts, retriesDone, expected) => {
		const decision = decideRetry(facts, retriesDone, POLICY);
		expect(decision).toMatchObject(expected);
		if (decision.retry) expect(decision.reason).toEqual(expect.any(String));
		else expect(Object.keys(decision).sort()).toEqual(['outcomeUnknown', 'retry']);
	});

	it('retries a 429 whose Retry-After is an HTTP date, after the time left until then', () => {
		expect(decideRetry({ method: 'POST', status: 429, retryAfter: 'Wed, 01 May 2024 10:00:30 GMT' }, 0, POLICY)).toMatchObject(
			retryAfter(30_000),
		);
	});

	it('retries a 429 whose Retry-After date has passed at once', () => {
		expect(decideRetry({ method: 'GET', status: 429, retryAfter: 'Wed, 01 May 2024 09:00:00 GMT' }, 0, POLICY)).toMatchObject(
			retryAfter(0),
		);
	});

	it('does not wait for a 429 whose Retry-After date is beyond the cap', () => {
		expect(decideRetry({ method: 'POST', status: 429, retryAfter: 'Wed, 01 May 2024 10:05:00 GMT' }, 0, POLICY)).toEqual(
			stopKnown,
		);
	});

	it('grows the backoff with each retry of a GET, up to the ceiling', () => {
		const delays = [0, 1, 2, 3, 4, 5, 6].map((retriesDone) =>
			decideRetry({ method: 'GET', status: 503 }, retriesDone, { ...POLICY, maxRetries: 10 }),
		);
		expect(delays.map((d) => (d.retry ? d.delayMs : undefined))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
	});

	it('retries nothing when maxRetries is 0', () => {
		const none = { ...POLICY, maxRetries: 0 };
		expect(decideRetry({ method: 'GET', status: 503 }, 0, none)).toEqual(stopKnown);
		expect(decideRetry({ method: 'POST', networkCode: 'ECONNREFUSED' }, 0, none)).toEqual(stopKnown);
		expect(decideRetry({ method: 'POST', status: 429, retryAfter: '1' }, 0, none)).toEqual(stopKnown);
	});

	it('uses the default policy when none is given: three retries', () => {
		expect(decideRetry({ method: 'GET', status: 503 }, 2)).toMatchObject(retryAfter(2_000));
		expect(decideRetry({ method: 'GET', status: 503 }, 3)).toEqual(stopKnown);
	});

	it('names the cause of each retry', () => {
		expect(decideRetry({ method: 'POST', status: 429, retryAfter: '1' }, 0, POLICY)).toMatchObject({
			reason: 'rate limited (429 with Retry-After)',
		});
		expect(decideRetry({ method: 'POST', networkCode: 'ECONNREFUSED' }, 0, POLICY)).toMatchObject({
			reason: 'connection not made (ECONNREFUSED)',
		});
		expect(decideRetry({ method: 'GET', status: 502 }, 0, POLICY)).toMatchObject({ reason: 'HTTP 502' });
		expect(decideRetry({ method: 'GET', networkCode: 'ETIMEDOUT' }, 0, POLICY)).toMatchObject({
			reason: 'network error (ETIMEDOUT)',
		});
		expect(decideRetry({ method: 'GET' }, 0, POLICY)).toMatchObject({ reason: 'network error (unknown)' });
	});
});

describe('DEFAULT_RETRY_POLICY', () => {
	it('retries three times, from 0.5 s up to 8 s, and waits at most a minute for Retry-After', () => {
		expect(DEFAULT_RETRY_POLICY).toEqual(POLICY);
	});
});

describe('parseRetryAfterMs', () => {
	it.each([
		['0', 0],
		['1', 1_000],
		['120', 120_000],
		['  5  ', 5_000],
	])('reads delta-seconds %j as %i ms', (value, expected) => {
		expect(parseRetryAfterMs(value, NOW)).toBe(expected);
	});

	it('reads an HTTP date as the time left until it', () => {
		expect(parseRetryAfterMs('Wed, 01 May 2024 10:01:00 GMT', NOW)).toBe(60_000);
	});

	it('reads an HTTP date in the past as no wait at all', () => {
		expect(parseRetryAfterMs('Wed, 01 May 2024 09:59:00 GMT', NOW)).toBe(0);
	});

	it('measures an HTTP date from Date.now() when no time is given', () => {
		jest.spyOn(Date, 'now').mockReturnValue(NOW);
		expect(parseRetryAfterMs('Wed, 01 May 2024 10:00:10 GMT')).toBe(10_000);
	});

	it('returns undefined when there is no header', () => {
		expect(parseRetryAfterMs(undefined, NOW)).toBeUndefined();
	});

	it.each(['', '   ', 'soon', 'later please', '1e3', '0x10', '1.5', '-1', '-5', '+3', '1,5', 'abc 2', '2026-05-01'])(
		'returns undefined for the unreadable value %j',
		(value) => {
			expect(parseRetryAfterMs(value, NOW)).toBeUndefined();
		},
	);

	it('a POST answered 429 with a negative Retry-After is not retried', () => {
		expect(decideRetry({ method: 'POST', status: 429, retryAfter: '-1' }, 0, POLICY)).toEqual({ retry: false, outcomeUnknown: false });
	});

	it('a GET answered 503 with a Retry-After past the cap is not waited for', () => {
		expect(decideRetry({ method: 'GET', status: 503, retryAfter: '3600' }, 0, POLICY)).toEqual({ retry: false, outcomeUnknown: false });
	});
});

describe('backoffDelayMs', () => {
	it('doubles from the base delay with each retry done', () => {
		expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, POLICY))).toEqual([500, 1_000, 2_000, 4_000]);
	});

	it('never exceeds the ceiling', () => {
		expect([4, 5, 10, 100].map((n) => backoffDelayMs(n, POLICY))).toEqual([8_000, 8_000, 8_000, 8_000]);
	});

	it('caps at a ceiling that is not a power-of-two multiple of the base', () => {
		const policy = { ...POLICY, baseDelayMs: 300, maxDelayMs: 1_000 };
		expect([0, 1, 2, 3].map((n) => backoffDelayMs(n, policy))).toEqual([300, 600, 1_000, 1_000]);
	});
});

describe('isSafeMethod', () => {
	it.each(['GET', 'HEAD', 'OPTIONS', 'get', 'Head', 'options'])('treats %s as safe to repeat', (method) => {
		expect(isSafeMethod(method)).toBe(true);
	});

	it.each(['POST', 'PUT', 'PATCH', 'DELETE', 'post', '', 'GETX'])('treats %j as unsafe to repeat', (method) => {
		expect(isSafeMethod(method)).toBe(false);
	});
});
