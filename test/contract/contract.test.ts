import { FAULT_KINDS, type FaultSpec, type RequestLogEntry, type RouteName, type Sandbox } from '../../sandbox';
import { expectRecordedResponsesValid, startTestSandbox, stopTestSandboxes, validateRecordedResponses } from '../helpers/sandbox';
import { bearer, request, type HttpResult } from '../sandbox/http';
import { contractValidator, formatFailures } from './openapi-validator';

/**
 * Drives every route, every error path and every fault mode, then checks every response the
 * sandbox sent against the OpenAPI subset (see openapi-validator.ts for the rules).
 */
describe('sandbox responses follow the OpenAPI subset', () => {
	let sb: Sandbox;
	const ROUTES: RouteName[] = ['token', 'list', 'redeliver', 'bulkRedeliver'];

	beforeAll(async () => {
		sb = await startTestSandbox();
	});
	afterAll(stopTestSandboxes);

	const tokenFor = async (who: 'admin' | 'nonAdmin' | 'otherOrgAdmin'): Promise<string> =>
		sb.issueToken(sb.clients[who].clientId);

	/** One request to a route, with whatever auth it needs; never rejects (a dropped socket gives null). */
	async function call(route: RouteName, token: string, variant = 0): Promise<HttpResult | null> {
		const errored = sb.seed.deliveryIdsByState.errored;
		try {
			switch (route) {
				case 'token':
					return await request(sb.baseUrl, '/oauth/token', {
						method: 'POST',
						headers: { 'content-type': 'application/x-www-form-urlencoded' },
						body: `grant_type=client_credentials&scope=&client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`,
					});
				case 'list':
					return await request(sb.baseUrl, `/api/v2/webhook_deliveries?page=${1 + (variant % 2)}`, { headers: bearer(token) });
				case 'redeliver':
					return await request(sb.baseUrl, `/api/v2/webhook_deliveries/${errored[variant % errored.length]}/redeliveries`, {
						method: 'POST',
						headers: bearer(token),
					});
				case 'bulkRedeliver':
					return await request(sb.baseUrl, '/api/v2/webhook_deliveries/redeliveries', {
						method: 'POST',
						headers: bearer(token),
						body: { delivery_ids: [errored[variant % errored.length], sb.seed.otherOrgDeliveryId] },
					});
			}
		} catch {
			return null;
		}
	}

	it('normal answers and error paths on every route', async () => {
		const admin = await tokenFor('admin');
		const member = await tokenFor('nonAdmin');
		const other = await tokenFor('otherOrgAdmin');
		const e = sb.seed.deliveryIdsByState.errored;
		const form = (body: string, headers: Record<string, string> = {}) =>
			request(sb.baseUrl, '/oauth/token', {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
				body,
			});
		const basic = Buffer.from(`${sb.clients.admin.clientId}:${sb.clients.admin.clientSecret}`).toString('base64');

		const results: number[] = [];
		const push = async (p: Promise<HttpResult>) => results.push((await p).status);
		// token route
		await push(form(`grant_type=client_credentials&client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`));
		await push(form('grant_type=client_credentials', { authorization: `Basic ${basic}` }));
		await push(form('grant_type=client_credentials&client_id=nobody&client_secret=x'));
		await push(form('grant_type=client_credentials', { authorization: 'Basic bm9ib2R5Ong=' }));
		await push(form(`grant_type=password&client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`));
		await push(form(`client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`));
		await push(
			request(sb.baseUrl, '/oauth/token', {
				method: 'POST',
				body: { grant_type: 'client_credentials', client_id: sb.clients.admin.clientId, client_secret: sb.clients.admin.clientSecret },
			}),
		);
		// list
		for (const q of ['', '?page=2', '?page=99', '?state=errored', `?webhook_id=${sb.seed.webhooks[0].id}`, '?since=2000-01-01T00:00:00Z']) {
			await push(request(sb.baseUrl, `/api/v2/webhook_deliveries${q}`, { headers: bearer(admin) }));
		}
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(member) }));
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(other) }));
		for (const q of ['?state=nope', '?since=soon', '?page=-1']) {
			await push(request(sb.baseUrl, `/api/v2/webhook_deliveries${q}`, { headers: bearer(admin) }));
		}
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries'));
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer('unknown') }));
		// single redelivery
		const post = (path: string, token: string, body?: unknown) =>
			request(sb.baseUrl, path, { method: 'POST', headers: bearer(token), body: body as object | undefined });
		await push(post(`/api/v2/webhook_deliveries/${e[0]}/redeliveries`, admin));
		await push(post(`/api/v2/webhook_deliveries/${sb.seed.deliveryIdsByState.completed[0]}/redeliveries`, admin, {}));
		await push(post(`/api/v2/webhook_deliveries/${sb.seed.otherOrgDeliveryId}/redeliveries`, admin));
		await push(post('/api/v2/webhook_deliveries/does-not-exist/redeliveries', admin));
		await push(post(`/api/v2/webhook_deliveries/${e[0]}/redeliveries`, member));
		await push(post(`/api/v2/webhook_deliveries/${e[0]}/redeliveries`, 'unknown'));
		// bulk redelivery
		await push(post('/api/v2/webhook_deliveries/redeliveries', admin, { delivery_ids: [e[1], e[2], 'nope', sb.seed.otherOrgDeliveryId] }));
		await push(post('/api/v2/webhook_deliveries/redeliveries', admin, { delivery_ids: [] }));
		await push(post('/api/v2/webhook_deliveries/redeliveries', other, { delivery_ids: [e[1]] }));
		await push(post('/api/v2/webhook_deliveries/redeliveries', member, { delivery_ids: [e[1]] }));
		await push(post('/api/v2/webhook_deliveries/redeliveries', admin, '{"delivery_ids": ['));
		await push(post('/api/v2/webhook_deliveries/redeliveries', admin, { ids: [e[1]] }));
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries/redeliveries', { method: 'POST', body: { delivery_ids: [] } }));
		// unknown path, wrong method, oversized request
		await push(request(sb.baseUrl, '/api/v2/webhooks', { headers: bearer(admin) }));
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries', { method: 'DELETE', headers: bearer(admin) }));
		await push(post('/api/v2/webhook_deliveries/redeliveries', admin, 'x'.repeat(1024 * 1024 + 1)));
		// an expired token
		sb.expireAllTokens();
		await push(request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(admin) }));

		expect(new Set(results)).toEqual(new Set([200, 201, 400, 401, 403, 404, 405, 413, 422]));
	});

	it('every deliveries state shows up in a validated list response', async () => {
		const admin = await tokenFor('admin');
		const states = new Set<string>();
		for (const state of ['pending', 'in_progress', 'retrying', 'completed', 'errored']) {
			const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries?state=${state}`, { headers: bearer(admin) });
			for (const d of res.json.webhook_deliveries) states.add(d.state);
		}
		expect(states.size).toBe(5);
	});

	const bodyFaults: FaultSpec['kind'][] = ['latency', 'status', 'slowResponse', 'malformedJson', 'html', 'oversized', 'revokeTokens', 'tokenDown'];
	const statusVariants = [429, 500, 502, 503, 504];

	it.each(ROUTES)('every fault mode on the %s route', async (route) => {
		let variant = 0;
		for (const kind of FAULT_KINDS) {
			const variants: Partial<FaultSpec>[] =
				kind === 'status'
					? statusVariants.map((status) => ({ status, retryAfterSeconds: status === 429 || status === 503 ? 2 : undefined }))
					: kind === 'html'
						? [{}, { status: 503 }, { status: 504, retryAfterSeconds: 1 }]
						: kind === 'oversized'
							? [{ bytes: 256 * 1024 }]
							: kind === 'latency' || kind === 'slowResponse'
								? [{ ms: 5 }]
								: [{}];
			for (const extra of variants) {
				const token = await tokenFor('admin');
				sb.injectFault({ route, kind, ...extra });
				const before = sb.requests.length;
				const res = await call(route, token, variant++);
				const entry = sb.requests[before] as RequestLogEntry;
				expect(entry.fault).toBe(kind);
				if (kind === 'reset' || kind === 'dropAfterWork') {
					expect(res).toBeNull();
					expect(entry.status).toBeNull();
				} else {
					expect(bodyFaults).toContain(kind);
					expect(res).not.toBeNull();
					expect(entry.status).toBe(res!.status);
				}
			}
		}
	});

	it('all recorded responses validate', () => {
		const report = validateRecordedResponses(sb);
		if (report.failures.length) throw new Error(formatFailures(report.failures));
		expect(report.checked).toBe(sb.requests.length);
		expect(report.checked).toBeGreaterThan(100);
		expect(report.schemaValidated).toBeGreaterThan(30);
		// Every route answered at least once with a body the spec's schema checked, and every fault
		// that answers was seen on every route.
		const seen = new Set(sb.requests.filter((e) => e.status !== null).map((e) => `${e.route}:${e.fault ?? 'none'}`));
		for (const route of ROUTES) {
			for (const kind of ['none', ...bodyFaults]) expect(seen).toContain(`${route}:${kind}`);
		}
		expectRecordedResponsesValid();
	});

	describe('the validator is not vacuous', () => {
		const base: RequestLogEntry = {
			seq: 1,
			method: 'POST',
			path: '/api/v2/webhook_deliveries/x/redeliveries',
			query: {},
			authPresent: true,
			clientId: 'c',
			status: 201,
			fault: null,
			startedAt: 0,
			durationMs: 0,
			route: 'redeliver',
			responseHeaders: { 'content-type': 'application/json; charset=utf-8' },
			responseBody: {
				id: '01900000-0000-7000-8000-000000000000',
				webhook_id: 'w',
				event_id: 'e',
				event_action: 'form_completed',
				state: 'pending',
				response: null,
				created_at: '2026-12-03T17:40:00.123Z',
				updated_at: '2026-12-03T17:40:00.123Z',
			},
		};
		const problems = (patch: Partial<RequestLogEntry>) => contractValidator().validate([{ ...base, ...patch }]).failures;
		const delivery = base.responseBody as Record<string, unknown>;

		it('accepts a good delivery', () => {
			expect(problems({})).toEqual([]);
		});

		it.each([
			['an unknown state', { responseBody: { ...delivery, state: 'failed' } }],
			['a bad date', { responseBody: { ...delivery, created_at: 'yesterday' } }],
			['a string code', { responseBody: { ...delivery, response: { code: '500', error: null } } }],
			['a missing field', { responseBody: { ...delivery, event_id: undefined } }],
			['an HTML page without a fault', { responseHeaders: { 'content-type': 'text/html' }, responseBody: '<!DOCTYPE html>' }],
			['a broken body without a fault', { responseBody: '{"id": ' }],
			['no answer without a fault', { status: null }],
			['a 401 without WWW-Authenticate', { status: 401, responseBody: { error: 'invalid_token', error_description: 'x' } }],
			['a 500 that is not an error object', { status: 500, responseBody: { message: 'boom' } }],
			['a 404 with the wrong code', { status: 404, responseBody: { error: 'forbidden', error_description: 'x' } }],
		])('rejects %s', (_name, patch) => {
			const p = { ...patch } as Partial<RequestLogEntry>;
			if (p.responseBody && typeof p.responseBody === 'object') p.responseBody = JSON.parse(JSON.stringify(p.responseBody));
			expect(problems(p)).toHaveLength(1);
		});

		it('rejects a list whose items are not deliveries and a bulk answer without dropped_ids', () => {
			expect(
				problems({ route: 'list', method: 'GET', status: 200, responseBody: { webhook_deliveries: [{ id: 1 }], meta: {} } }),
			).toHaveLength(1);
			expect(
				problems({ route: 'bulkRedeliver', status: 201, responseBody: { webhook_deliveries: [], meta: { dropped: [] } } }),
			).toHaveLength(1);
			expect(problems({ route: 'token', status: 200, responseBody: { access_token: 'a', token_type: 'Bearer', expires_in: '7200', created_at: 1 } })).toHaveLength(1);
		});
	});
});
