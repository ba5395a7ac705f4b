import type { Sandbox } from '../../sandbox';
import { startTestSandbox } from '../helpers/sandbox';
import { bearer, getToken, request, useSharedSandbox } from './http';

describe('POST /api/v2/webhook_deliveries/redeliveries', () => {
	let sb: Sandbox;
	let admin: string;
	const bulk = (body: unknown, token = admin) =>
		request(sb.baseUrl, '/api/v2/webhook_deliveries/redeliveries', {
			method: 'POST',
			headers: { ...bearer(token), 'content-type': 'application/json' },
			body: typeof body === 'string' ? body : JSON.stringify(body),
		});

	useSharedSandbox((sandbox, token) => {
		sb = sandbox;
		admin = token;
	});

	it('creates one new delivery per known id and drops unknown and other-organisation ids', async () => {
		const [a, b] = sb.seed.deliveryIdsByState.errored;
		const unknown = '0190ffff-0000-7000-8000-000000000000';
		const res = await bulk({ delivery_ids: [a, sb.seed.otherOrgDeliveryId, b, unknown] });
		expect(res.status).toBe(201);
		expect(res.json.meta.dropped_ids).toEqual([sb.seed.otherOrgDeliveryId, unknown]);
		expect(res.json.webhook_deliveries).toHaveLength(2);
		const [da, db] = res.json.webhook_deliveries;
		expect(da).toMatchObject({ event_id: sb.getDelivery(a)!.event_id, state: 'pending', response: null });
		expect(db).toMatchObject({ event_id: sb.getDelivery(b)!.event_id, state: 'pending', response: null });
		expect([da.id, db.id]).not.toContain(a);
		expect(sb.requests[sb.requests.length - 1]).toMatchObject({
			route: 'bulkRedeliver',
			body: { delivery_ids: [a, sb.seed.otherOrgDeliveryId, b, unknown] },
			createdDeliveryIds: [da.id, db.id],
		});
		expect(sb.counters()).toMatchObject({ bulkRequests: 1, deliveriesCreated: 2 });
	});

	it('redelivers a repeated id once', async () => {
		const [a] = sb.seed.deliveryIdsByState.errored;
		const res = await bulk({ delivery_ids: [a, a] });
		expect(res.json.webhook_deliveries).toHaveLength(1);
		expect(res.json.meta.dropped_ids).toEqual([]);
	});

	it('accepts an empty list', async () => {
		const res = await bulk({ delivery_ids: [] });
		expect(res.status).toBe(201);
		expect(res.json).toEqual({ webhook_deliveries: [], meta: { dropped_ids: [] } });
	});

	it('answers 403 to a non-admin', async () => {
		const member = await getToken(sb.baseUrl, sb.clients.nonAdmin.clientId, sb.clients.nonAdmin.clientSecret);
		const res = await bulk({ delivery_ids: [sb.seed.deliveryIdsByState.errored[0]] }, member);
		expect(res.status).toBe(403);
		expect(sb.counters().deliveriesCreated).toBe(0);
	});

	it('drops every id of org A for the org B admin', async () => {
		const other = await getToken(sb.baseUrl, sb.clients.otherOrgAdmin.clientId, sb.clients.otherOrgAdmin.clientSecret);
		const ids = sb.seed.deliveryIdsByState.errored.slice(0, 3);
		const res = await bulk({ delivery_ids: ids }, other);
		expect(res.status).toBe(201);
		expect(res.json.webhook_deliveries).toEqual([]);
		expect(res.json.meta.dropped_ids).toEqual(ids);
	});

	it('answers 400 for a body that is not JSON and 422 for the wrong shape', async () => {
		const notJson = await bulk('{"delivery_ids": [');
		expect(notJson.status).toBe(400);
		expect(notJson.json).toEqual({ error: 'invalid_request', error_description: expect.any(String) });
		for (const body of [{}, [], { delivery_ids: 'x' }, { delivery_ids: [1, 2] }, 'null']) {
			const res = await bulk(body);
			expect(res.status).toBe(422);
			expect(res.json.error).toBe('invalid_request');
		}
		expect(sb.counters().deliveriesCreated).toBe(0);
	});

	it('answers 422 above the bulk limit', async () => {
		const small = await startTestSandbox({ bulkLimit: 2 });
		const t = await getToken(small.baseUrl, small.clients.admin.clientId, small.clients.admin.clientSecret);
		const res = await request(small.baseUrl, '/api/v2/webhook_deliveries/redeliveries', {
			method: 'POST',
			headers: bearer(t),
			body: { delivery_ids: small.seed.deliveryIdsByState.errored.slice(0, 3) },
		});
		expect(res.status).toBe(422);
	});
});
