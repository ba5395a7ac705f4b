import { apiReason, normalizeBaseUrl } from '../../nodes/HindsiteWebhookDelivery/transport';

describe('apiReason: the API\'s own words for a failure', () => {
	it.each([
		['an OAuth error description', { error: 'invalid_client', error_description: 'Client authentication failed' }, 'Client authentication failed'],
		['a message field', { message: 'Delivery not found' }, 'Delivery not found'],
		['an error code alone', { error: 'forbidden' }, 'forbidden'],
		['a list of errors', { errors: ['id is invalid', 'too many'] }, 'id is invalid; too many'],
		['an HTML page reduced to its text', '<html><head><style>p{}</style></head><body><h1>502</h1> <p>Bad  gateway</p></body></html>', '502 Bad gateway'],
	])('reads %s', (_label, body, expected) => {
		expect(apiReason(body)).toBe(expected);
	});

	it.each([
		['no body', undefined],
		['an empty object', {}],
		['blank text', '   '],
		['a list', ['a']],
	])('has nothing to say for %s', (_label, body) => {
		expect(apiReason(body)).toBeUndefined();
	});

	it('caps a long reason', () => {
		const reason = apiReason({ message: 'x'.repeat(1000) })!;
		expect(reason.length).toBeLessThanOrEqual(301);
		expect(reason.endsWith('…')).toBe(true);
	});
});

describe('normalizeBaseUrl', () => {
	it.each([
		['https://app.hindsiteind.com', 'https://app.hindsiteind.com'],
		['https://app.hindsiteind.com/', 'https://app.hindsiteind.com'],
		['  http://127.0.0.1:4010//  ', 'http://127.0.0.1:4010'],
	])('keeps %j as %j', (value, expected) => {
		expect(normalizeBaseUrl(value)).toBe(expected);
	});

	it.each([[''], ['app.hindsiteind.com'], ['ftp://example.com'], [42], [undefined]])('refuses %j', (value) => {
		expect(normalizeBaseUrl(value)).toBeUndefined();
	});
});
