import {
	sinceFor,
	waitForFinalStates,
	type WaitDependencies,
	type Waiter,
} from '../../nodes/HindsiteWebhookDelivery/helpers/waitForFinalState';
import type { WebhookDelivery } from '../../nodes/HindsiteWebhookDelivery/helpers/interfaces';

const START = Date.parse('2024-05-01T10:00:00.000Z');

function delivery(id: string, webhookId: string, state: string, createdAt = '2024-05-01T09:59:00.000Z'): WebhookDelivery {
	return {
		id,
		webhook_id: webhookId,
		event_id: `event-of-${id}`,
		event_action: 'order.created',
		state,
		response: null,
		created_at: createdAt,
		updated_at: createdAt,
	};
}

function waiter(
	key: string,
	posted: WebhookDelivery,
	options: { pollIntervalMs?: number; timeoutMs?: number } = {},
): Waiter<string> {
	return { key, delivery: posted, pollIntervalMs: options.pollIntervalMs ?? 1_000, timeoutMs: options.timeoutMs ?? 60_000 };
}

/** What one listing of a webhook answers: the state of each delivery it contains, or a rejection. */
type Listing = Record<string, string | WebhookDelivery> | Error;

interface ListingCall {
	webhookId: string;
	since: string;
	wanted: string[];
	at: number;
}

/**
 * A fake clock, a sleep that only advances it, and a listing that answers from a script: the n-th call for a webhook
 * gets the n-th listing (the last one again once the script runs out).
 */
function fakeDependencies(script: Record<string, Listing[]>, extra: Partial<WaitDependencies> = {}) {
	let clock = START;
	const sleeps: number[] = [];
	const calls: ListingCall[] = [];
	const deps: WaitDependencies = {
		now: () => clock,
		sleep: async (ms) => {
			expect(ms).toBeGreaterThanOrEqual(0);
			sleeps.push(ms);
			clock += ms;
		},
		findDeliveries: async (webhookId, since, wanted) => {
			const made = calls.filter((c) => c.webhookId === webhookId).length;
			calls.push({ webhookId, since, wanted: [...wanted].sort(), at: clock });
			const listings = script[webhookId];
			if (!listings || listings.length === 0) throw new Error(`no listing scripted for ${webhookId}`);
			const listing = listings[Math.min(made, listings.length - 1)];
			if (listing instanceof Error) throw listing;
			const found = new Map<string, WebhookDelivery>();
			for (const [id, value] of Object.entries(listing)) {
				found.set(id, typeof value === 'string' ? delivery(id, webhookId, value) : value);
			}
			return found;
		},
		...extra,
	};
	return {
		deps,
		sleeps,
		calls,
		callsFor: (webhookId: string) => calls.filter((c) => c.webhookId === webhookId),
		elapsed: () => clock - START,
	};
}

describe('waitForFinalStates', () => {
	it('settles deliveries that are already final without sleeping or listing', async () => {
		const fake = fakeDependencies({});
		const outcomes = await waitForFinalStates(
			[waiter('a', delivery('d1', 'w1', 'completed')), waiter('b', delivery('d2', 'w1', 'errored'))],
			fake.deps,
		);
		expect(fake.calls).toEqual([]);
		expect(fake.sleeps).toEqual([]);
		expect(outcomes.get('a')).toEqual({
			delivery: delivery('d1', 'w1', 'completed'),
			final: true,
			timedOut: false,
			polls: 0,
			waitedMs: 0,
		});
		expect(outcomes.get('b')).toMatchObject({ final: true, timedOut: false, polls: 0, waitedMs: 0 });
	});

	it('returns an empty map for no waiters', async () => {
		const fake = fakeDependencies({});
		await expect(waitForFinalStates([], fake.deps)).resolves.toEqual(new Map());
		expect(fake.sleeps).toEqual([]);
	});

	it('does not ask the listing for a delivery that was already final', async () => {
		const fake = fakeDependencies({ w1: [{ d2: 'completed' }] });
		const outcomes = await waitForFinalStates(
			[waiter('a', delivery('d1', 'w1', 'completed')), waiter('b', delivery('d2', 'w1', 'pending'))],
			fake.deps,
		);
		expect(fake.calls).toEqual([expect.objectContaining({ webhookId: 'w1', wanted: ['d2'] })]);
		expect(outcomes.get('a')).toMatchObject({ polls: 0, final: true });
		expect(outcomes.get('b')).toMatchObject({ polls: 1, final: true, delivery: { state: 'completed' } });
	});

	it('polls after the interval and settles a delivery once the listing shows it final', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'in_progress' }, { d1: 'retrying' }, { d1: 'completed' }] });
		const outcomes = await waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'), { pollIntervalMs: 2_000 })], fake.deps);
		expect(fake.sleeps).toEqual([2_000, 2_000, 2_000]);
		expect(fake.calls.map((c) => c.at - START)).toEqual([2_000, 4_000, 6_000]);
		expect(outcomes.get('a')).toEqual({
			delivery: delivery('d1', 'w1', 'completed'),
			final: true,
			timedOut: false,
			polls: 3,
			waitedMs: 6_000,
		});
	});

	it('reports an errored delivery as final', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'errored' }] });
		const outcomes = await waitForFinalStates([waiter('a', delivery('d1', 'w1', 'retrying'))], fake.deps);
		expect(outcomes.get('a')).toMatchObject({ final: true, timedOut: false, polls: 1, delivery: { state: 'errored' } });
	});

	it('makes one listing per round for all the waiting deliveries of one webhook', async () => {
		const fake = fakeDependencies({
			w1: [
				{ d1: 'in_progress', d2: 'pending', d3: 'pending' },
				{ d1: 'in_progress', d2: 'completed', d3: 'retrying' },
				{ d1: 'completed', d3: 'errored' },
			],
		});
		const outcomes = await waitForFinalStates(
			[
				waiter('a', delivery('d1', 'w1', 'pending', '2024-05-01T09:59:30.000Z')),
				waiter('b', delivery('d2', 'w1', 'pending', '2024-05-01T09:58:10.000Z')),
				waiter('c', delivery('d3', 'w1', 'pending', '2024-05-01T09:59:50.000Z')),
			],
			fake.deps,
		);
		expect(fake.calls).toEqual([
			{ webhookId: 'w1', since: '2024-05-01T09:58:09.000Z', wanted: ['d1', 'd2', 'd3'], at: START + 1_000 },
			{ webhookId: 'w1', since: '2024-05-01T09:58:09.000Z', wanted: ['d1', 'd2', 'd3'], at: START + 2_000 },
			{ webhookId: 'w1', since: '2024-05-01T09:59:29.000Z', wanted: ['d1', 'd3'], at: START + 3_000 },
		]);
		expect(outcomes.get('a')).toMatchObject({ final: true, polls: 3, delivery: { state: 'completed' } });
		expect(outcomes.get('b')).toMatchObject({ final: true, polls: 2, delivery: { state: 'completed' } });
		expect(outcomes.get('c')).toMatchObject({ final: true, polls: 3, delivery: { state: 'errored' } });
	});

	it('asks from one second before the earliest created_at, so a rounded timestamp stays inside the window', () => {
		expect(sinceFor(['2024-05-01T10:00:00.400Z', '2024-05-01T09:59:59Z'])).toBe('2024-05-01T09:59:58.000Z');
		expect(sinceFor(['not a date'])).toBe('not a date');
	});

	it('keeps one listing per round however many deliveries of the webhook wait', async () => {
		const ids = Array.from({ length: 25 }, (_, i) => `d${i}`);
		const pending = Object.fromEntries(ids.map((id) => [id, 'retrying']));
		const done = Object.fromEntries(ids.map((id) => [id, 'completed']));
		const fake = fakeDependencies({ w1: [pending, pending, pending, done] });
		const outcomes = await waitForFinalStates(
			ids.map((id) => waiter(id, delivery(id, 'w1', 'pending'))),
			fake.deps,
		);
		expect(fake.calls).toHaveLength(4);
		expect(outcomes.size).toBe(25);
		for (const id of ids) expect(outcomes.get(id)).toMatchObject({ final: true, polls: 4 });
	});

	it('makes one listing per webhook per round when deliveries of two webhooks wait', async () => {
		const fake = fakeDependencies({
			w1: [{ a1: 'pending', a2: 'pending' }, { a1: 'completed', a2: 'completed' }],
			w2: [{ b1: 'retrying' }, { b1: 'retrying' }, { b1: 'completed' }],
		});
		const outcomes = await waitForFinalStates(
			[
				waiter('a1', delivery('a1', 'w1', 'pending', '2024-05-01T09:50:00.000Z')),
				waiter('b1', delivery('b1', 'w2', 'pending', '2024-05-01T09:55:00.000Z')),
				waiter('a2', delivery('a2', 'w1', 'pending', '2024-05-01T09:51:00.000Z')),
			],
			fake.deps,
		);
		expect(fake.callsFor('w1').map((c) => [c.at - START, c.since, c.wanted])).toEqual([
			[1_000, '2024-05-01T09:49:59.000Z', ['a1', 'a2']],
			[2_000, '2024-05-01T09:49:59.000Z', ['a1', 'a2']],
		]);
		expect(fake.callsFor('w2').map((c) => [c.at - START, c.since, c.wanted])).toEqual([
			[1_000, '2024-05-01T09:54:59.000Z', ['b1']],
			[2_000, '2024-05-01T09:54:59.000Z', ['b1']],
			[3_000, '2024-05-01T09:54:59.000Z', ['b1']],
		]);
		expect(fake.calls).toHaveLength(5);
		expect([...outcomes.values()].every((o) => o.final)).toBe(true);
	});

	it('ignores deliveries in a listing that nobody waits for', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'completed', other: 'errored' }] });
		const outcomes = await waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'))], fake.deps);
		expect([...outcomes.keys()]).toEqual(['a']);
		expect(outcomes.get('a')).toMatchObject({ final: true, delivery: { id: 'd1', state: 'completed' } });
	});

	it('times a waiter out at its own deadline, keeping the last state seen and counting its polls', async () => {
		const lastSeen = { ...delivery('d1', 'w1', 'retrying'), response: { code: 503, error: 'Service Unavailable' } };
		const fake = fakeDependencies({
			w1: [{ d1: 'in_progress', d2: 'pending' }, { d1: lastSeen, d2: 'pending' }, { d2: 'pending' }, { d2: 'completed' }],
		});
		const outcomes = await waitForFinalStates(
			[
				waiter('short', delivery('d1', 'w1', 'pending'), { timeoutMs: 2_500 }),
				waiter('long', delivery('d2', 'w1', 'pending'), { timeoutMs: 10_000 }),
			],
			fake.deps,
		);
		expect(fake.sleeps).toEqual([1_000, 1_000, 500, 1_000]);
		expect(outcomes.get('short')).toEqual({ delivery: lastSeen, final: false, timedOut: true, polls: 3, waitedMs: 2_500 });
		expect(outcomes.get('long')).toEqual({
			delivery: delivery('d2', 'w1', 'completed'),
			final: true,
			timedOut: false,
			polls: 4,
			waitedMs: 3_500,
		});
		expect(fake.calls.map((c) => c.wanted)).toEqual([['d1', 'd2'], ['d1', 'd2'], ['d1', 'd2'], ['d2']]);
	});

	it('times out every waiter that never reaches a final state', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'retrying' }], w2: [{ d2: 'retrying' }] });
		const outcomes = await waitForFinalStates(
			[
				waiter('a', delivery('d1', 'w1', 'pending'), { pollIntervalMs: 1_000, timeoutMs: 3_000 }),
				waiter('b', delivery('d2', 'w2', 'pending'), { pollIntervalMs: 1_000, timeoutMs: 5_000 }),
			],
			fake.deps,
		);
		expect(outcomes.get('a')).toMatchObject({ final: false, timedOut: true, polls: 3, waitedMs: 3_000, delivery: { state: 'retrying' } });
		expect(outcomes.get('b')).toMatchObject({ final: false, timedOut: true, polls: 5, waitedMs: 5_000, delivery: { state: 'retrying' } });
		expect(fake.elapsed()).toBe(5_000);
	});

	it('never sleeps past the earliest deadline, even when the poll interval is longer', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'pending', d2: 'pending' }] });
		const outcomes = await waitForFinalStates(
			[
				waiter('a', delivery('d1', 'w1', 'pending'), { pollIntervalMs: 5_000, timeoutMs: 1_200 }),
				waiter('b', delivery('d2', 'w1', 'pending'), { pollIntervalMs: 5_000, timeoutMs: 7_000 }),
			],
			fake.deps,
		);
		expect(fake.sleeps).toEqual([1_200, 5_000, 800]);
		expect(outcomes.get('a')).toMatchObject({ timedOut: true, polls: 1, waitedMs: 1_200 });
		expect(outcomes.get('b')).toMatchObject({ timedOut: true, polls: 3, waitedMs: 7_000 });
	});

	it('never lets a sleep end after the deadline of any waiter still waiting', async () => {
		const timeouts = [700, 2_300, 2_350, 4_100, 9_999];
		const fake = fakeDependencies({ w1: [{}], w2: [{}] });
		const deadlines = timeouts.map((t) => START + t);
		let clock = START;
		const sleepEnds: number[] = [];
		const sleep = async (ms: number) => {
			clock += ms;
			sleepEnds.push(clock);
		};
		const outcomes = await waitForFinalStates(
			timeouts.map((timeoutMs, i) =>
				waiter(`k${i}`, delivery(`d${i}`, i % 2 ? 'w1' : 'w2', 'pending'), { pollIntervalMs: 1_000 + i * 300, timeoutMs }),
			),
			{ ...fake.deps, sleep, now: () => clock },
		);
		let settledBefore = 0;
		for (const end of sleepEnds) {
			const stillWaiting = deadlines.filter((d) => d > settledBefore);
			expect(end).toBeLessThanOrEqual(Math.min(...stillWaiting));
			settledBefore = end;
		}
		for (let i = 0; i < timeouts.length; i++) {
			expect(outcomes.get(`k${i}`)).toMatchObject({ timedOut: true, waitedMs: timeouts[i] });
		}
	});

	it('polls every waiter at the shortest poll interval among those still waiting', async () => {
		const fake = fakeDependencies({ w1: [{ d1: 'pending', d2: 'pending' }, { d1: 'completed', d2: 'pending' }, { d2: 'completed' }] });
		await waitForFinalStates(
			[
				waiter('fast', delivery('d1', 'w1', 'pending'), { pollIntervalMs: 500 }),
				waiter('slow', delivery('d2', 'w1', 'pending'), { pollIntervalMs: 3_000 }),
			],
			fake.deps,
		);
		expect(fake.sleeps).toEqual([500, 500, 3_000]);
	});

	it('keeps the last known state of a delivery missing from a listing', async () => {
		const seen = { ...delivery('d1', 'w1', 'in_progress'), response: { code: 500, error: null } };
		const fake = fakeDependencies({ w1: [{ d1: seen }, {}, {}] });
		const outcomes = await waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'), { timeoutMs: 3_000 })], fake.deps);
		expect(outcomes.get('a')).toEqual({ delivery: seen, final: false, timedOut: true, polls: 3, waitedMs: 3_000 });
	});

	it('keeps the state the POST returned when no listing ever contains the delivery', async () => {
		const posted = delivery('d1', 'w1', 'pending');
		const fake = fakeDependencies({ w1: [{}] });
		const outcomes = await waitForFinalStates([waiter('a', posted, { timeoutMs: 2_000 })], fake.deps);
		expect(outcomes.get('a')).toEqual({ delivery: posted, final: false, timedOut: true, polls: 2, waitedMs: 2_000 });
	});

	it('settles the waiters of a webhook whose listing fails with the error, and keeps polling the other webhooks', async () => {
		const failure = new Error('listing failed after its retries');
		const fake = fakeDependencies({
			w1: [{ a1: 'in_progress', a2: 'pending' }, failure],
			w2: [{ b1: 'pending' }, { b1: 'retrying' }, { b1: 'completed' }],
		});
		const outcomes = await waitForFinalStates(
			[
				waiter('a1', delivery('a1', 'w1', 'pending')),
				waiter('a2', delivery('a2', 'w1', 'pending')),
				waiter('b1', delivery('b1', 'w2', 'pending')),
			],
			fake.deps,
		);
		expect(fake.callsFor('w1')).toHaveLength(2);
		expect(fake.callsFor('w2')).toHaveLength(3);
		expect(outcomes.get('a1')).toEqual({
			delivery: delivery('a1', 'w1', 'in_progress'),
			final: false,
			timedOut: false,
			polls: 2,
			waitedMs: 2_000,
			error: failure,
		});
		expect(outcomes.get('a2')).toMatchObject({ final: false, timedOut: false, polls: 2, error: failure });
		expect(outcomes.get('b1')).toEqual({
			delivery: delivery('b1', 'w2', 'completed'),
			final: true,
			timedOut: false,
			polls: 3,
			waitedMs: 3_000,
		});
	});

	it('settles with the error when the listing fails and the error is not a cancellation', async () => {
		const failure = new Error('HTTP 500');
		const isCancellation = jest.fn(() => false);
		const fake = fakeDependencies({ w1: [failure] }, { isCancellation });
		const outcomes = await waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'))], fake.deps);
		expect(isCancellation).toHaveBeenCalledWith(failure);
		expect(outcomes.get('a')).toMatchObject({ error: failure, polls: 1, final: false, timedOut: false });
	});

	it('rejects the whole wait when a failed listing is a cancellation', async () => {
		const cancelled = new Error('execution cancelled');
		const fake = fakeDependencies(
			{ w1: [{ a1: 'pending' }, cancelled], w2: [{ b1: 'pending' }] },
			{ isCancellation: (error) => error === cancelled },
		);
		await expect(
			waitForFinalStates(
				[waiter('a1', delivery('a1', 'w1', 'pending')), waiter('b1', delivery('b1', 'w2', 'pending'))],
				fake.deps,
			),
		).rejects.toBe(cancelled);
		expect(fake.callsFor('w1')).toHaveLength(2);
		expect(fake.sleeps).toHaveLength(2);
	});

	it('rejects the whole wait when the sleep is cancelled, without listing again', async () => {
		const cancelled = new Error('execution cancelled');
		const fake = fakeDependencies({ w1: [{ d1: 'retrying' }] });
		let sleeps = 0;
		const sleep = async (ms: number) => {
			sleeps++;
			if (sleeps === 2) throw cancelled;
			await fake.deps.sleep(ms);
		};
		await expect(
			waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'))], { ...fake.deps, sleep }),
		).rejects.toBe(cancelled);
		expect(fake.calls).toHaveLength(1);
	});

	it('rejects at once when the very first sleep is cancelled', async () => {
		const cancelled = new Error('execution cancelled');
		const fake = fakeDependencies({ w1: [{ d1: 'completed' }] });
		const sleep = jest.fn(async () => {
			throw cancelled;
		});
		await expect(
			waitForFinalStates([waiter('a', delivery('d1', 'w1', 'pending'))], { ...fake.deps, sleep }),
		).rejects.toBe(cancelled);
		expect(fake.calls).toEqual([]);
	});
});
