import { checkDeliveryId, deliveryIdPathSegment } from '../../nodes/HindsiteWebhookDelivery/helpers/deliveryId';

const BASE = 'https://hindsite.example';
const DELIVERIES = '/api/v2/webhook_deliveries/';

function refusal(value: unknown): string {
	const check = checkDeliveryId(value);
	if (check.ok) throw new Error(`expected ${JSON.stringify(value)} to be refused, but it was accepted as ${check.id}`);
	return check.reason;
}

describe('checkDeliveryId', () => {
	it('accepts a UUIDv7-like id unchanged', () => {
		expect(checkDeliveryId('01890a5d-ac96-774b-bcce-b302099a8057')).toEqual({
			ok: true,
			id: '01890a5d-ac96-774b-bcce-b302099a8057',
		});
	});

	it('trims surrounding whitespace and newlines before using the id', () => {
		expect(checkDeliveryId('  abc-123\n')).toEqual({ ok: true, id: 'abc-123' });
		expect(checkDeliveryId('\tabc-123\r\n')).toEqual({ ok: true, id: 'abc-123' });
	});

	it.each([
		['an empty string', ''],
		['spaces only', '   '],
		['a tab and a newline', '\t\n'],
		['undefined', undefined],
		['null', null],
	])('calls %s an empty Delivery ID', (_label, value) => {
		expect(refusal(value)).toBe('the Delivery ID is empty');
	});

	it.each([
		['a number', 42, 'a number (42)'],
		['zero', 0, 'a number (0)'],
		['NaN', Number.NaN, 'a number (NaN)'],
		['true', true, 'a boolean (true)'],
		['false', false, 'a boolean (false)'],
		['an object', { id: 'abc' }, 'an object'],
		['an array', ['abc'], 'a list'],
		['an empty array', [], 'a list'],
	])('refuses %s as not text and names what the expression gave', (_label, value, described) => {
		expect(refusal(value)).toBe(`the Delivery ID must be text, but the expression gave ${described}`);
	});

	it('refuses other non-string values by their type', () => {
		expect(refusal(() => 'abc')).toBe('the Delivery ID must be text, but it is function');
		expect(refusal(Symbol('abc'))).toBe('the Delivery ID must be text, but it is symbol');
		expect(refusal(BigInt(7))).toBe('the Delivery ID must be text, but it is bigint');
	});

	it('accepts an id of exactly 200 characters', () => {
		const id = 'a'.repeat(200);
		expect(checkDeliveryId(id)).toEqual({ ok: true, id });
	});

	it('refuses an id of 201 characters and says how long it is', () => {
		expect(refusal('a'.repeat(201))).toBe('the Delivery ID is 201 characters long (at most 200)');
	});

	it('measures the length after trimming', () => {
		const id = 'a'.repeat(200);
		expect(checkDeliveryId(`   ${id}   `)).toEqual({ ok: true, id });
	});

	it.each([
		['an inner space', 'abc def'],
		['an inner tab', 'abc\tdef'],
		['an inner newline', 'abc\ndef'],
		['a NUL', 'abc\u0000def'],
		['an escape', 'abc\u001bdef'],
		['a DEL', 'abc\u007fdef'],
		['a non-breaking space', 'abc\u00a0def'],
		['a line separator', 'abc\u2028def'],
		['an ideographic space', 'abc\u3000def'],
	])('refuses an id with %s', (_label, value) => {
		expect(refusal(value)).toBe('the Delivery ID contains spaces or control characters');
	});

	it.each(['.', '..', ' .. ', '\t.\n'])('refuses the dot segment %j, which a URL parser would resolve', (value) => {
		expect(refusal(value)).toBe(`"${value.trim()}" is not a delivery ID`);
	});

	it.each(['...', '.a', 'a.', '..a', 'a..b'])('accepts %j, which is not a dot segment', (value) => {
		expect(checkDeliveryId(value)).toEqual({ ok: true, id: value });
	});
});

describe('deliveryIdPathSegment', () => {
	const awkwardIds: Array<[string, string]> = [
		['a parent-directory prefix', '../x'],
		['a slash', 'a/b'],
		['a leading slash', '/admin'],
		['a backslash', 'a\\b'],
		['an already-encoded slash', '%2F'],
		['an encoded dot-dot', '%2e%2e'],
		['a query and a fragment', 'a?b#c'],
		['a semicolon and an ampersand', 'a;b&c=d'],
		['an at-sign and a colon', 'user@host:80'],
		['accented letters', 'déjà-vu'],
		['CJK characters', '配達-1'],
		['an emoji outside the BMP', 'id-🚀'],
		['a plain UUID', '01890a5d-ac96-774b-bcce-b302099a8057'],
	];

	it.each(awkwardIds)('encodes an id with %s as one segment that decodes back to the id', (_label, id) => {
		expect(checkDeliveryId(id)).toEqual({ ok: true, id });
		const segment = deliveryIdPathSegment(id);
		expect(segment).not.toMatch(/[/?#\\]/);
		expect(decodeURIComponent(segment)).toBe(id);
	});

	it.each(awkwardIds)('keeps an id with %s in place in the redelivery URL', (_label, id) => {
		const url = new URL(`${BASE}${DELIVERIES}${deliveryIdPathSegment(id)}/redeliveries`);
		const segments = url.pathname.split('/');
		expect(segments).toHaveLength(6);
		expect(segments.slice(0, 4)).toEqual(['', 'api', 'v2', 'webhook_deliveries']);
		expect(decodeURIComponent(segments[4])).toBe(id);
		expect(segments[5]).toBe('redeliveries');
		expect(url.search).toBe('');
		expect(url.hash).toBe('');
		expect(url.origin).toBe(BASE);
	});

	it('would let a URL parser climb out on ".." — which is why checkDeliveryId refuses it', () => {
		const url = new URL(`${BASE}${DELIVERIES}${deliveryIdPathSegment('..')}/redeliveries`);
		expect(url.pathname).toBe('/api/v2/redeliveries');
		expect(checkDeliveryId('..').ok).toBe(false);
	});
});

describe('checkDeliveryId: characters that cannot be encoded', () => {
	test('an id with a lone surrogate is refused before anything is sent', () => {
		const check = checkDeliveryId('a\uD800b');
		expect(check.ok).toBe(false);
	});
});
