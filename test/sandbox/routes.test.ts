import { SCENARIOS, UUID_V7_PATTERN, type Sandbox } from '../../sandbox';
import { startTestSandbox } from '../helpers/sandbox';
import { bearer, getToken, request, sleep, useSharedSandbox } from './http';

describe('sandbox routes', () => {
	let sb: Sandbox;
	let admin: string;

	useSharedSandbox((sandbox, token) => {
		sb = sandbox;
		admin = token;
	});

	describe('POST /oauth/token', () => {
		it('issues a bearer token for client credentials in the form body, with an empty scope', async () => {
			const res = await request(sb.baseUrl, '/oauth/token', {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: `grant_type=client_credentials&scope=&client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`,
			});
			expect(res.status).toBe(200);
			expect(res.json).toEqual({
				access_token: expect.any(String),
				token_type: 'Bearer',
				expires_in: 7200,
				created_at: expect.any(Number),
			});
			expect(Math.abs(res.json.created_at - Date.now() / 1000)).toBeLessThan(5);
		});

		it('accepts HTTP Basic client authentication', async () => {
			const basic = Buffer.from(`${sb.clients.nonAdmin.clientId}:${sb.clients.nonAdmin.clientSecret}`).toString('base64');
			const res = await request(sb.baseUrl, '/oauth/token', {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}` },
				body: 'grant_type=client_credentials',
			});
			expect(res.status).toBe(200);
			expect(res.json.token_type).toBe('Bearer');
			const entry = sb.requests[sb.requests.length - 1];
			expect(entry).toMatchObject({ route: 'token', authPresent: true, clientId: sb.clients.nonAdmin.clientId, status: 200 });
		});

		it('answers 401 invalid_client for a wrong secret or unknown client', async () => {
			for (const body of [
				`grant_type=client_credentials&client_id=${sb.clients.admin.clientId}&client_secret=nope`,
				'grant_type=client_credentials&client_id=nobody&client_secret=x',
				'grant_type=client_credentials',
			]) {
				const res = await request(sb.baseUrl, '/oauth/token', {
					method: 'POST',
					headers: { 'content-type': 'application/x-www-form-urlencoded' },
					body,
				});
				expect(res.status).toBe(401);
				expect(res.json).toEqual({ error: 'invalid_client', error_description: expect.any(String) });
			}
		});

		it('answers 401 unsupported_grant_type for another grant', async () => {
			const res = await request(sb.baseUrl, '/oauth/token', {
				method: 'POST',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: `grant_type=password&client_id=${sb.clients.admin.clientId}&client_secret=${sb.clients.admin.clientSecret}`,
			});
			expect(res.status).toBe(401);
			expect(res.json.error).toBe('unsupported_grant_type');
		});

		it('masks the client secret in the request log', async () => {
			const entry = sb.requests.find((e) => e.route === 'token')!;
			expect(entry.body).toEqual({
				grant_type: 'client_credentials',
				scope: '',
				client_id: sb.clients.admin.clientId,
				client_secret: '***',
			});
			expect(JSON.stringify(sb.requests)).not.toContain(sb.clients.admin.clientSecret);
		});
	});

	describe('bearer auth on /api/v2', () => {
		const list = (headers: Record<string, string> = {}) =>
			request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers });

		it.each([
			['missing', {}],
			['not bearer', { authorization: 'Token abc' }],
			['unknown', { authorization: 'Bearer not-a-token' }],
		])('answers 401 for a %s token', async (_name, headers) => {
			const res = await list(headers as Record<string, string>);
			expect(res.status).toBe(401);
			expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
			expect(res.json).toEqual({ error: 'invalid_token', error_description: expect.any(String) });
		});

		it('answers 401 for an expired token', async () => {
			const short = await startTestSandbox({ tokenExpiresIn: 2 }); // 2 nominal s = 2 ms at timeScale 1000
			const token = await getToken(short.baseUrl, short.clients.admin.clientId, short.clients.admin.clientSecret);
			await sleep(10);
			const res = await request(short.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(token) });
			expect(res.status).toBe(401);
			expect(res.json.error_description).toMatch(/expired/);
			expect(short.counters().unauthorized).toBe(1);
		});

		it('answers 401 for a token that expireAllTokens() expired and for a revoked token', async () => {
			expect((await list(bearer(admin))).status).toBe(200);
			sb.expireAllTokens();
			expect((await list(bearer(admin))).json.error_description).toMatch(/expired/);
			const fresh = await getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret);
			sb.revokeAllTokens();
			const res = await list(bearer(fresh));
			expect(res.status).toBe(401);
			expect(res.json.error_description).toMatch(/revoked/);
		});
	});

	describe('GET /api/v2/webhook_deliveries', () => {
		it('pages through org A newest first, 25 a page, and an empty page ends the list', async () => {
			const seen: string[] = [];
			const created: string[] = [];
			for (let page = 1; ; page++) {
				const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries?page=${page}`, { headers: bearer(admin) });
				expect(res.status).toBe(200);
				expect(res.json.meta).toEqual(expect.any(Object));
				if (res.json.webhook_deliveries.length === 0) break;
				expect(res.json.webhook_deliveries.length).toBeLessThanOrEqual(25);
				for (const d of res.json.webhook_deliveries) {
					seen.push(d.id);
					created.push(d.created_at);
				}
			}
			const orgA = Object.values(sb.seed.deliveryIdsByState).flat();
			expect(new Set(seen)).toEqual(new Set(orgA));
			expect(seen).not.toContain(sb.seed.otherOrgDeliveryId);
			expect([...created].sort().reverse()).toEqual(created);
		});

		it('filters by state, webhook_id and since (inclusive)', async () => {
			const errored = await request(sb.baseUrl, '/api/v2/webhook_deliveries?state=errored', { headers: bearer(admin) });
			expect(errored.json.webhook_deliveries.map((d: { id: string }) => d.id).sort()).toEqual(
				[...sb.seed.deliveryIdsByState.errored].sort(),
			);
			const hook = sb.seed.webhooks[1].id;
			const byHook = await request(sb.baseUrl, `/api/v2/webhook_deliveries?webhook_id=${hook}`, { headers: bearer(admin) });
			expect(byHook.json.webhook_deliveries.length).toBeGreaterThan(0);
			expect(byHook.json.webhook_deliveries.every((d: { webhook_id: string }) => d.webhook_id === hook)).toBe(true);

			const all = (await request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(admin) })).json.webhook_deliveries;
			const pivot = all[5];
			const since = await request(sb.baseUrl, `/api/v2/webhook_deliveries?since=${encodeURIComponent(pivot.created_at)}`, {
				headers: bearer(admin),
			});
			const ids = since.json.webhook_deliveries.map((d: { id: string }) => d.id);
			expect(ids).toContain(pivot.id);
			expect(since.json.webhook_deliveries.every((d: { created_at: string }) => d.created_at >= pivot.created_at)).toBe(true);
			expect(ids).toEqual(all.slice(0, 6).map((d: { id: string }) => d.id));
		});

		it('answers 422 for an unknown state, a bad since or a bad page', async () => {
			for (const q of ['state=failed', 'since=yesterday', 'page=0', 'page=x']) {
				const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries?${q}`, { headers: bearer(admin) });
				expect(res.status).toBe(422);
				expect(res.json).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
			}
		});

		it('honours a configured page size and shows org B only its own deliveries', async () => {
			const small = await startTestSandbox({ pageSize: 4 });
			const t = await getToken(small.baseUrl, small.clients.otherOrgAdmin.clientId, small.clients.otherOrgAdmin.clientSecret);
			const p1 = await request(small.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(t) });
			const p2 = await request(small.baseUrl, '/api/v2/webhook_deliveries?page=2', { headers: bearer(t) });
			expect(p1.json.webhook_deliveries).toHaveLength(4);
			expect(p2.json.webhook_deliveries).toHaveLength(1);
			const orgBHooks = small.seed.webhooks.filter((w) => w.organisationId === small.seed.organisations[1].id).map((w) => w.id);
			for (const d of [...p1.json.webhook_deliveries, ...p2.json.webhook_deliveries]) expect(orgBHooks).toContain(d.webhook_id);
		});
	});

	describe('POST /api/v2/webhook_deliveries/{id}/redeliveries', () => {
		it('creates a new pending delivery for the same event and leaves the original alone', async () => {
			const originalId = sb.seed.deliveryIdsByState.errored[5];
			const before = sb.getDelivery(originalId)!;
			const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${originalId}/redeliveries`, {
				method: 'POST',
				headers: bearer(admin),
			});
			expect(res.status).toBe(201);
			expect(res.json).toMatchObject({
				webhook_id: before.webhook_id,
				event_id: before.event_id,
				event_action: before.event_action,
				state: 'pending',
				response: null,
			});
			expect(res.json.id).not.toBe(originalId);
			expect(res.json.id).toMatch(UUID_V7_PATTERN);
			expect(res.json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
			expect(sb.getDelivery(originalId)).toEqual(before);
			expect(sb.requests[sb.requests.length - 1]).toMatchObject({
				route: 'redeliver',
				status: 201,
				clientId: sb.clients.admin.clientId,
				createdDeliveryIds: [res.json.id],
			});
		});

		it('can redeliver the same original many times', async () => {
			const originalId = sb.seed.deliveryIdsByState.completed[0];
			const ids = new Set<string>();
			for (let i = 0; i < 3; i++) {
				const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${originalId}/redeliveries`, {
					method: 'POST',
					headers: bearer(admin),
				});
				expect(res.status).toBe(201);
				ids.add(res.json.id);
			}
			expect(ids.size).toBe(3);
			expect(sb.counters().deliveriesCreated).toBe(3);
		});

		it('answers 404 for an unknown id and for a delivery of another organisation', async () => {
			for (const id of ['0190ffff-0000-7000-8000-000000000000', sb.seed.otherOrgDeliveryId]) {
				const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${id}/redeliveries`, {
					method: 'POST',
					headers: bearer(admin),
				});
				expect(res.status).toBe(404);
				expect(res.json).toEqual({ error: 'not_found', error_description: expect.any(String) });
			}
			expect(sb.counters().deliveriesCreated).toBe(0);
		});

		it('answers 403 to a non-admin client', async () => {
			const member = await getToken(sb.baseUrl, sb.clients.nonAdmin.clientId, sb.clients.nonAdmin.clientSecret);
			const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${sb.seed.deliveryIdsByState.errored[0]}/redeliveries`, {
				method: 'POST',
				headers: bearer(member),
			});
			expect(res.status).toBe(403);
			expect(res.json).toEqual({ error: 'forbidden', error_description: expect.any(String) });
			expect(sb.counters().deliveriesCreated).toBe(0);
		});

		it('moves a redelivery through its scenario, visible in the list', async () => {
			// A clock moved by hand, half a nominal second per look, so that every state is seen whatever the load.
			let now = Date.parse('2026-01-01T00:00:00.000Z');
			const own = await startTestSandbox({ timeScale: 1, now: () => now });
			const token = await getToken(own.baseUrl, own.clients.admin.clientId, own.clients.admin.clientSecret);
			const res = await request(own.baseUrl, `/api/v2/webhook_deliveries/${own.seed.scenarioDeliveryIds.erroredAfter3}/redeliveries`, {
				method: 'POST',
				headers: bearer(token),
			});
			const created = res.json;
			const seen: string[] = [];
			for (let i = 0; i < 100; i++) {
				const page = await request(
					own.baseUrl,
					`/api/v2/webhook_deliveries?webhook_id=${created.webhook_id}&since=${encodeURIComponent(created.created_at)}`,
					{ headers: bearer(token) },
				);
				const mine = page.json.webhook_deliveries.find((d: { id: string }) => d.id === created.id);
				if (seen[seen.length - 1] !== mine.state) seen.push(mine.state);
				if (mine.state === 'errored') {
					expect(mine.response).toEqual(SCENARIOS.erroredAfter3.failure);
					expect(mine.updated_at > mine.created_at).toBe(true);
					break;
				}
				now += 500;
			}
			expect(seen).toEqual(['pending', 'in_progress', 'retrying', 'in_progress', 'retrying', 'in_progress', 'errored']);
		});
	});

	it('answers 404 for unknown paths and 405 for a wrong method', async () => {
		expect((await request(sb.baseUrl, '/api/v2/nothing', { headers: bearer(admin) })).status).toBe(404);
		const res = await request(sb.baseUrl, '/oauth/token');
		expect(res.status).toBe(405);
		expect(res.headers.allow).toBe('POST');
	});

	it('records what was sent in the request log and counts it', async () => {
		sb.clearLog();
		await request(sb.baseUrl, '/api/v2/webhook_deliveries?state=errored&page=2', { headers: bearer(admin) });
		await request(sb.baseUrl, '/api/v2/webhook_deliveries');
		const [withAuth, withoutAuth] = sb.requests;
		expect(withAuth).toMatchObject({
			method: 'GET',
			path: '/api/v2/webhook_deliveries',
			query: { state: 'errored', page: '2' },
			authPresent: true,
			clientId: sb.clients.admin.clientId,
			status: 200,
			fault: null,
		});
		expect(withAuth.startedAt).toBeLessThanOrEqual(Date.now());
		expect(withAuth.durationMs).toBeGreaterThanOrEqual(0);
		expect(withoutAuth).toMatchObject({ authPresent: false, clientId: null, status: 401 });
		expect(sb.counters()).toMatchObject({ total: 3, tokenRequests: 1, tokensIssued: 1, listRequests: 2, unauthorized: 1 });
	});

	it('reset() returns to the seed', async () => {
		await request(sb.baseUrl, `/api/v2/webhook_deliveries/${sb.seed.deliveryIdsByState.errored[0]}/redeliveries`, {
			method: 'POST',
			headers: bearer(admin),
		});
		const extra = sb.createDelivery({ state: 'retrying' });
		sb.reset();
		expect(sb.getDelivery(extra.id)).toBeUndefined();
		expect(sb.requests).toHaveLength(0);
		expect(sb.counters().total).toBe(0);
		const res = await request(sb.baseUrl, '/api/v2/webhook_deliveries', { headers: bearer(admin) });
		expect(res.status).toBe(401);
	});
});
