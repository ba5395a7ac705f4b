import {
	FINAL_DELIVERY_STATES,
	describeOutcome,
	isFinalState,
	isWebhookDelivery,
} from '../../nodes/HindsiteWebhookDelivery/helpers/deliveryState';
import type { WebhookDelivery } from '../../nodes/HindsiteWebhookDelivery/helpers/interfaces';

function delivery(overrides: Partial<WebhookDelivery> = {}): WebhookDelivery {
	return {
		id: 'd-1',
		webhook_id: 'w-1',
		event_id: 'e-1',
		event_action: 'order.created',
		state: 'pending',
		response: null,
		created_at: '2024-05-01T10:00:00.000Z',
		updated_at: '2024-05-01T10:00:00.000Z',
		...overrides,
	};
}

describe('FINAL_DELIVERY_STATES', () => {
	it('holds exactly completed and errored', () => {
		expect([...FINAL_DELIVERY_STATES].sort()).toEqual(['completed', 'errored']);
	});
});

describe('isFinalState', () => {
	it.each(['completed', 'errored'])('treats %s as final', (state) => {
		expect(isFinalState(state)).toBe(true);
	});

	it.each(['pending', 'in_progress', 'retrying', 'cancelled', 'COMPLETED', ' completed', ''])(
		'treats %j as not final',
		(state) => {
			expect(isFinalState(state)).toBe(false);
		},
	);

	it.each([
		['undefined', undefined],
		['null', null],
		['a number', 1],
		['a boolean', true],
		['an object', { state: 'completed' }],
		['an array', ['completed']],
	])('treats %s as not final', (_label, value) => {
		expect(isFinalState(value)).toBe(false);
	});
});

describe('describeOutcome', () => {
	it('says a completed delivery completed', () => {
		expect(describeOutcome(delivery({ state: 'completed' }))).toBe('Delivery d-1 completed');
	});

	it('says an errored delivery has exhausted its automatic retries', () => {
		expect(describeOutcome(delivery({ state: 'errored' }))).toBe(
			'Delivery d-1 errored: its automatic retries are exhausted',
		);
	});

	it.each(['pending', 'in_progress', 'retrying', 'some_future_state'])('says a %s delivery is still in that state', (state) => {
		expect(describeOutcome(delivery({ state }))).toBe(`Delivery d-1 is still ${state}`);
	});

	it('adds the HTTP status and error of the last attempt', () => {
		expect(
			describeOutcome(delivery({ state: 'errored', response: { code: 503, error: 'Service Unavailable' } })),
		).toBe('Delivery d-1 errored: its automatic retries are exhausted (last attempt: HTTP 503, Service Unavailable)');
	});

	it('adds only the HTTP status when the last attempt has no error text', () => {
		expect(describeOutcome(delivery({ state: 'completed', response: { code: 200, error: null } }))).toBe(
			'Delivery d-1 completed (last attempt: HTTP 200)',
		);
	});

	it('adds only the error when the last attempt got no HTTP answer', () => {
		expect(describeOutcome(delivery({ state: 'retrying', response: { code: null, error: 'connection refused' } }))).toBe(
			'Delivery d-1 is still retrying (last attempt: connection refused)',
		);
	});

	it('mentions a status code of 0 rather than dropping it', () => {
		expect(describeOutcome(delivery({ state: 'retrying', response: { code: 0, error: null } }))).toBe(
			'Delivery d-1 is still retrying (last attempt: HTTP 0)',
		);
	});

	it('says nothing about the last attempt when there was none', () => {
		expect(describeOutcome(delivery({ state: 'pending', response: null }))).toBe('Delivery d-1 is still pending');
		expect(describeOutcome(delivery({ state: 'pending', response: { code: null, error: null } }))).toBe(
			'Delivery d-1 is still pending',
		);
	});
});

describe('isWebhookDelivery', () => {
	it('accepts a delivery with the documented fields', () => {
		expect(isWebhookDelivery(delivery())).toBe(true);
	});

	it('accepts a delivery with only the fields the node follows, and with extra fields', () => {
		expect(isWebhookDelivery({ id: 'd', webhook_id: 'w', state: 'pending', created_at: '2024-05-01T10:00:00Z' })).toBe(
			true,
		);
		expect(isWebhookDelivery({ ...delivery(), attempts: 3, future_field: { a: 1 } })).toBe(true);
	});

	it.each([
		['null', null],
		['undefined', undefined],
		['a string', 'd-1'],
		['a number', 1],
		['an array', [delivery()]],
	])('rejects %s', (_label, value) => {
		expect(isWebhookDelivery(value)).toBe(false);
	});

	it.each(['id', 'webhook_id', 'state', 'created_at'])('rejects a delivery without %s', (field) => {
		const value: Record<string, unknown> = { ...delivery() };
		delete value[field];
		expect(isWebhookDelivery(value)).toBe(false);
	});

	it.each([
		['a numeric id', { id: 1 }],
		['an empty id', { id: '' }],
		['a numeric webhook_id', { webhook_id: 2 }],
		['a null state', { state: null }],
		['a numeric created_at', { created_at: 1714557600 }],
	])('rejects a delivery with %s', (_label, overrides) => {
		expect(isWebhookDelivery({ ...delivery(), ...overrides })).toBe(false);
	});
});

describe('describeOutcome: empty last-attempt details', () => {
	test.each([
		[{ code: null, error: '' }],
		[{} as { code: null; error: null }],
	])('adds no empty suffix for %j', (response) => {
		expect(describeOutcome({ id: 'd', state: 'completed', response })).toBe('Delivery d completed');
	});
});
