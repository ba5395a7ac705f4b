import fc from 'fast-check';

import {
	ALLOWED_TRANSITIONS as SANDBOX_TRANSITIONS,
	lifecycleAt,
	lifecycleTransitions,
	settleTime,
	TERMINAL_STATES,
	type DeliveryState,
	type Scenario,
} from '../../sandbox';
import { expectRecordedResponsesValid, startTestSandbox, stopTestSandboxes } from '../helpers/sandbox';

// The seed page's lifecycle, written out here rather than taken from the sandbox, so that the sandbox is checked
// against the documentation: pending → in_progress → retrying → in_progress → … → completed | errored.
const ALLOWED_TRANSITIONS: Readonly<Record<DeliveryState, readonly DeliveryState[]>> = {
	pending: ['in_progress'],
	in_progress: ['retrying', 'completed', 'errored'],
	retrying: ['in_progress'],
	completed: [],
	errored: [],
};

test('the sandbox allows exactly the transitions of the documented lifecycle', () => {
	expect(SANDBOX_TRANSITIONS).toEqual(ALLOWED_TRANSITIONS);
});
import { bearer, request } from './http';

const failureArb = fc.record({
	code: fc.option(fc.integer({ min: 300, max: 599 }), { nil: null }),
	error: fc.option(
		fc.constantFrom('private_uri', 'response_too_large', 'dns_lookup_failed', 'connection_timeout', 'destination_unreachable', 'failed_tls'),
		{ nil: null },
	),
});

/** Integer durations keep every boundary exact in floating point. */
function scenarioArb(minDuration: number): fc.Arbitrary<Scenario> {
	return fc
		.record({
			outcome: fc.constantFrom<Scenario['outcome']>('completed', 'errored', 'never'),
			failedAttempts: fc.integer({ min: 0, max: 6 }),
			pendingSeconds: fc.integer({ min: minDuration, max: 20 }),
			attemptSeconds: fc.integer({ min: minDuration, max: 10 }),
			retryDelaySeconds: fc.integer({ min: minDuration, max: 30 }),
			failure: fc.option(failureArb, { nil: undefined }),
		})
		.filter((s) => s.outcome !== 'never' || s.attemptSeconds + s.retryDelaySeconds > 0);
}

const terminal = (s: DeliveryState) => TERMINAL_STATES.includes(s);

function expectedAttempts(s: Scenario): number {
	return s.outcome === 'completed' ? s.failedAttempts + 1 : s.outcome === 'errored' ? Math.max(1, s.failedAttempts) : Infinity;
}

describe('delivery lifecycle (property)', () => {
	it('every settling scenario walks allowed transitions to exactly one final state, matching its outcome', () => {
		fc.assert(
			fc.property(scenarioArb(0), (scenario) => {
				const steps = lifecycleTransitions(scenario, 200);
				expect(steps[0].state).toBe('pending');
				expect(steps[0].response).toBeNull();
				for (let i = 1; i < steps.length; i++) {
					const [a, b] = [steps[i - 1], steps[i]];
					if (!ALLOWED_TRANSITIONS[a.state].includes(b.state)) throw new Error(`${a.state} -> ${b.state} is not allowed`);
					if (b.since < a.since) throw new Error(`step ${i} goes back in time`);
					if (b.state !== 'in_progress' && b.response === null) throw new Error(`${b.state} without a response`);
				}
				const finals = steps.filter((s) => terminal(s.state));
				if (scenario.outcome === 'never') {
					expect(finals).toHaveLength(0);
					expect(steps).toHaveLength(200);
					expect(settleTime(scenario)).toBe(Infinity);
					return;
				}
				expect(finals).toHaveLength(1);
				const last = steps[steps.length - 1];
				expect(last.state).toBe(scenario.outcome);
				expect(last.since).toBe(settleTime(scenario));
				expect(steps.filter((s) => s.state === 'in_progress')).toHaveLength(expectedAttempts(scenario));
				if (scenario.outcome === 'completed') expect(last.response).toEqual({ code: 200, error: null });
				else expect(last.response).toEqual(scenario.failure ?? { code: null, error: 'connection_timeout' });
			}),
			{ numRuns: 500 },
		);
	});

	it('the state at any time is the last transition at or before it, and never moves backwards', () => {
		fc.assert(
			fc.property(
				scenarioArb(0),
				fc.array(fc.integer({ min: 0, max: 4 * 400 }), { minLength: 1, maxLength: 40 }),
				(scenario, quarterSeconds) => {
					const steps = lifecycleTransitions(scenario, 400);
					const times = quarterSeconds.map((q) => q / 4).sort((a, b) => a - b);
					let previousIndex = -1;
					for (const t of times) {
						const point = lifecycleAt(scenario, t);
						let index = -1;
						for (let i = 0; i < steps.length && steps[i].since <= t; i++) index = i;
						if (index === steps.length - 1 && scenario.outcome === 'never') return; // past the truncated list
						if (JSON.stringify(point) !== JSON.stringify(steps[index])) {
							throw new Error(`at ${t}: ${JSON.stringify(point)} but the transitions say ${JSON.stringify(steps[index])}`);
						}
						if (index < previousIndex) throw new Error(`at ${t} the delivery moved backwards`);
						previousIndex = index;
						const settle = settleTime(scenario);
						if (t >= settle ? point.state !== scenario.outcome : terminal(point.state)) {
							throw new Error(`at ${t} (settles at ${settle}) the state is ${point.state}`);
						}
					}
				},
			),
			{ numRuns: 500 },
		);
	});

	it('never-settling scenarios keep cycling in_progress / retrying, however long', () => {
		fc.assert(
			fc.property(
				scenarioArb(0).map((s) => ({ ...s, outcome: 'never' as const })).filter((s) => (s.attemptSeconds ?? 1) + (s.retryDelaySeconds ?? 5) > 0),
				fc.double({ min: 0, max: 1e9, noNaN: true }),
				(scenario, t) => {
					const point = lifecycleAt(scenario, t);
					if (t < (scenario.pendingSeconds ?? 1)) expect(point.state).toBe('pending');
					else expect(['in_progress', 'retrying']).toContain(point.state);
				},
			),
			{ numRuns: 300 },
		);
	});

	describe('through the server, on a hand-driven clock', () => {
		afterAll(stopTestSandboxes);
		afterAll(() => expectRecordedResponsesValid());

		it('each redelivery shows every step of its scenario, in order, and ends in exactly one final state', async () => {
			let now = Date.parse('2026-12-03T17:40:00.123Z');
			const sb = await startTestSandbox({ timeScale: 1, now: () => now });
			const token = sb.issueToken(sb.clients.admin.clientId, 1e9);
			await fc.assert(
				fc.asyncProperty(scenarioArb(1), async (scenario) => {
					const original = sb.createDelivery({ redeliveryScenario: scenario });
					const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${original.id}/redeliveries`, {
						method: 'POST',
						headers: bearer(token),
					});
					expect(res.status).toBe(201);
					const id = res.json.id as string;
					const horizon = scenario.outcome === 'never' ? 300 : settleTime(scenario) + 30;
					const seen: DeliveryState[] = [];
					let lastUpdated = res.json.updated_at as string;
					for (let t = 0; t <= horizon; t += 0.5) {
						const d = sb.getDelivery(id)!;
						if (seen[seen.length - 1] !== d.state) seen.push(d.state);
						expect(d.updated_at >= lastUpdated).toBe(true);
						expect(Date.parse(d.updated_at)).toBeLessThanOrEqual(now);
						if (d.state === 'pending') expect(d.response).toBeNull();
						lastUpdated = d.updated_at;
						now += 500;
					}
					// The list route shows the same final snapshot.
					const listed = await request(
						sb.baseUrl,
						`/api/v2/webhook_deliveries?webhook_id=${original.webhook_id}&since=${encodeURIComponent(res.json.created_at)}`,
						{ headers: bearer(token) },
					);
					expect(listed.json.webhook_deliveries.find((x: { id: string }) => x.id === id)).toEqual(sb.getDelivery(id));
					for (let i = 1; i < seen.length; i++) expect(ALLOWED_TRANSITIONS[seen[i - 1]]).toContain(seen[i]);
					if (scenario.outcome === 'never') {
						expect(seen.some(terminal)).toBe(false);
					} else {
						expect(seen).toEqual(lifecycleTransitions(scenario).map((s) => s.state));
						expect(seen.filter(terminal)).toEqual([scenario.outcome]);
					}
					expect(sb.getDelivery(original.id)!.state).toBe('errored'); // the original never moves
				}),
				{ numRuns: 40 },
			);
		});
	});
});
