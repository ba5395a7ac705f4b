import type { Sandbox } from '../../sandbox';
import { startTestSandbox } from '../helpers/sandbox';
import { bearer, getToken, request, useSharedSandbox } from './http';

describe('sandbox fault injection', () => {
	let sb: Sandbox;
	let admin: string;
	const redeliverPath = () => `/api/v2/webhook_deliveries/${sb.seed.deliveryIdsByState.errored[4]}/redeliveries`;
	const list = () => request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(admin) });
	const last = () => sb.requests[sb.requests.length - 1];

	useSharedSandbox((sandbox, token) => {
		sb = sandbox;
		admin = token;
	});

	it('latency: waits, then answers normally', async () => {
		sb.injectFault({ route: 'list', kind: 'latency', ms: 60 });
		const t0 = Date.now();
		const res = await list();
		expect(res.status).toBe(200);
		expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
		expect(last()).toMatchObject({ fault: 'latency', status: 200 });
	});

	it('status 429 with Retry-After, applied once by default', async () => {
		sb.injectFault({ route: 'list', kind: 'status', status: 429, retryAfterSeconds: 3 });
		const limited = await list();
		expect(limited.status).toBe(429);
		expect(limited.headers['retry-after']).toBe('3');
		expect(limited.json).toEqual({ error: 'rate_limited', error_description: expect.any(String) });
		expect((await list()).status).toBe(200);
	});

	it.each([500, 502, 503, 504])('status %i answers a JSON error without doing the work', async (status) => {
		sb.injectFault({ route: 'redeliver', kind: 'status', status });
		const res = await request(sb.baseUrl, redeliverPath(), { method: 'POST', headers: bearer(admin) });
		expect(res.status).toBe(status);
		expect(res.json).toEqual({ error: expect.any(String), error_description: expect.any(String) });
		expect(sb.counters().deliveriesCreated).toBe(0);
	});

	it('skip and times pick which matching requests fail', async () => {
		sb.injectFault({ route: 'list', kind: 'status', status: 503, skip: 1, times: 2 });
		const statuses = [];
		for (let i = 0; i < 4; i++) statuses.push((await list()).status);
		expect(statuses).toEqual([200, 503, 503, 200]);
	});

	it('match narrows a fault to some requests; route any covers every route', async () => {
		sb.injectFault({ route: 'any', kind: 'status', status: 500, times: Infinity, match: (r) => r.query.page === '2' });
		expect((await list()).status).toBe(200);
		expect((await request(sb.baseUrl, '/api/v2/webhook_deliveries?page=2', { headers: bearer(admin) })).status).toBe(500);
		expect((await request(sb.baseUrl, '/api/v2/webhook_deliveries?page=2', { headers: bearer(admin) })).status).toBe(500);
		sb.clearFaults();
		expect((await request(sb.baseUrl, '/api/v2/webhook_deliveries?page=2', { headers: bearer(admin) })).status).toBe(200);
	});

	it('reset: the connection is destroyed before any work', async () => {
		sb.injectFault({ route: 'redeliver', kind: 'reset' });
		await expect(request(sb.baseUrl, redeliverPath(), { method: 'POST', headers: bearer(admin) })).rejects.toThrow(
			/socket hang up|ECONNRESET/,
		);
		expect(last()).toMatchObject({ fault: 'reset', status: null });
		expect(sb.counters().deliveriesCreated).toBe(0);
	});

	it('dropAfterWork: the redelivery is created, then the socket is dropped (ambiguous outcome)', async () => {
		sb.injectFault({ route: 'redeliver', kind: 'dropAfterWork' });
		await expect(request(sb.baseUrl, redeliverPath(), { method: 'POST', headers: bearer(admin) })).rejects.toThrow();
		const entry = last();
		expect(entry).toMatchObject({ fault: 'dropAfterWork', status: null });
		expect(entry.createdDeliveryIds).toHaveLength(1);
		const created = sb.getDelivery(entry.createdDeliveryIds![0])!;
		expect(created.event_id).toBe(sb.getDelivery(sb.seed.deliveryIdsByState.errored[4])!.event_id);
		expect(sb.counters().deliveriesCreated).toBe(1);
	});

	it('slowResponse: does the work, then answers too late for a client timeout', async () => {
		// Far apart, so that a busy machine cannot let the client's timer run before the server has done the work.
		sb.injectFault({ route: 'redeliver', kind: 'slowResponse', ms: 3000 });
		await expect(
			request(sb.baseUrl, redeliverPath(), { method: 'POST', headers: bearer(admin), timeoutMs: 500 }),
		).rejects.toThrow(/client timeout/);
		expect(sb.counters().deliveriesCreated).toBe(1);
		// A patient client gets the answer.
		sb.injectFault({ route: 'redeliver', kind: 'slowResponse', ms: 30 });
		const res = await request(sb.baseUrl, redeliverPath(), { method: 'POST', headers: bearer(admin) });
		expect(res.status).toBe(201);
	});

	it('malformedJson: a JSON content type with a cut-off body', async () => {
		sb.injectFault({ route: 'list', kind: 'malformedJson' });
		const res = await list();
		expect(res.status).toBe(200);
		expect(res.headers['content-type']).toMatch(/application\/json/);
		expect(() => JSON.parse(res.text)).toThrow();
		expect(typeof last().responseBody).toBe('string');
	});

	it('html: an HTML error page from a gateway', async () => {
		sb.injectFault({ route: 'list', kind: 'html' });
		const res = await list();
		expect(res.status).toBe(502);
		expect(res.headers['content-type']).toMatch(/text\/html/);
		expect(res.text).toMatch(/^<!DOCTYPE html>/);
	});

	it('oversized: a large but valid JSON body', async () => {
		sb.injectFault({ route: 'list', kind: 'oversized', bytes: 2 * 1024 * 1024 });
		const res = await list();
		expect(res.status).toBe(200);
		expect(Buffer.byteLength(res.text)).toBe(2 * 1024 * 1024);
		expect(res.json.webhook_deliveries.length).toBeGreaterThan(0);
		sb.injectFault({ route: 'list', kind: 'oversized' });
		expect(Buffer.byteLength((await list()).text)).toBe(5 * 1024 * 1024);
	});

	it('revokeTokens: revokes every token mid-run, so the request gets 401', async () => {
		expect((await list()).status).toBe(200);
		sb.injectFault({ route: 'list', kind: 'revokeTokens' });
		const res = await list();
		expect(res.status).toBe(401);
		expect(res.json.error_description).toMatch(/revoked/);
		const fresh = await getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret);
		expect((await request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(fresh) })).status).toBe(200);
	});

	it('tokenDown: the token endpoint answers 503 with an HTML page', async () => {
		sb.injectFault({ route: 'token', kind: 'tokenDown', retryAfterSeconds: 1, times: 2 });
		for (let i = 0; i < 2; i++) {
			await expect(getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret)).rejects.toThrow(/503/);
		}
		expect(last().responseHeaders?.['retry-after']).toBe('1');
		expect(sb.counters().tokensIssued).toBe(1); // only the one from beforeEach
		await expect(getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret)).resolves.toEqual(expect.any(String));
	});

	it('a reset on the token route', async () => {
		sb.injectFault({ route: 'token', kind: 'reset' });
		await expect(getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret)).rejects.toThrow();
	});

	it('rejects unknown fault kinds and routes', () => {
		expect(() => sb.injectFault({ route: 'list', kind: 'explode' as never })).toThrow(RangeError);
		expect(() => sb.injectFault({ route: 'nowhere' as never, kind: 'reset' })).toThrow(RangeError);
	});

	it('stop() does not wait for a pending slow response', async () => {
		const other = await startTestSandbox();
		const token = await getToken(other.baseUrl, other.clients.admin.clientId, other.clients.admin.clientSecret);
		other.injectFault({ route: 'list', kind: 'slowResponse', ms: 60_000 });
		const pending = request(other.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(token) }).catch((e: Error) => e);
		while (other.counters().listRequests === 0) await new Promise((r) => setTimeout(r, 2));
		const t0 = Date.now();
		await other.stop();
		expect(Date.now() - t0).toBeLessThan(1000);
		const outcome = await pending;
		expect(outcome).toHaveProperty('message'); // the request failed instead of being answered
		expect(outcome).not.toHaveProperty('status');
	});
});
