import { SCENARIOS, startSandbox, UUID_V7_PATTERN } from '../../sandbox';
import { expectRecordedResponsesValid, startTestSandbox, stopTestSandboxes } from '../helpers/sandbox';
import { bearer, getToken, request, sleep } from './http';

describe('sandbox instances', () => {
	afterEach(stopTestSandboxes);
	afterAll(() => expectRecordedResponsesValid());

	const tcpResources = () =>
		process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;

	it('starts and stops many instances on ephemeral ports, leaving no server or socket behind', async () => {
		const baseline = tcpResources();
		for (let round = 0; round < 5; round++) {
			const all = await Promise.all(Array.from({ length: 8 }, () => startSandbox({ timeScale: 1000 })));
			expect(new Set(all.map((s) => s.port)).size).toBe(8);
			await Promise.all(
				all.map(async (s) => {
					expect(s.baseUrl).toBe(`http://127.0.0.1:${s.port}`);
					await getToken(s.baseUrl, s.clients.admin.clientId, s.clients.admin.clientSecret);
				}),
			);
			await Promise.all(all.map((s) => s.stop()));
			await Promise.all(all.map((s) => s.stop())); // idempotent
		}
		await sleep(50); // let the client sides of the closed connections be collected
		// 40 servers were started here; none of them, nor any of their connections, is still open. (At most the
		// baseline: connections left by an earlier test file in this worker may have closed meanwhile.)
		expect(tcpResources()).toBeLessThanOrEqual(baseline);
	});

	it('closes keep-alive connections on stop', async () => {
		const sb = await startSandbox();
		const http = await import('node:http');
		const agent = new http.Agent({ keepAlive: true });
		await new Promise<void>((resolve, reject) => {
			http.get(`${sb.baseUrl}/api/v2/webhook_deliveries`, { agent }, (res) => {
				res.resume();
				res.on('end', resolve);
			}).on('error', reject);
		});
		const socketClosed = new Promise<void>((resolve) => {
			for (const sockets of Object.values(agent.freeSockets)) for (const socket of sockets ?? []) socket.once('close', () => resolve());
		});
		const started = Date.now();
		await sb.stop();
		await socketClosed;
		// Without closing idle connections, stop() would wait for the server's keep-alive timeout (5 s).
		expect(Date.now() - started).toBeLessThan(2000);
		agent.destroy();
	});

	it('fails to start on a port that is taken', async () => {
		const a = await startTestSandbox();
		await expect(startSandbox({ port: a.port })).rejects.toThrow(/EADDRINUSE/);
	});

	it('seeds two organisations, three clients, webhooks and deliveries in every state', async () => {
		const sb = await startTestSandbox();
		expect(sb.seed.organisations).toHaveLength(2);
		expect(sb.seed.webhooks[0].organisationId).toBe(sb.seed.organisations[0].id);
		for (const ids of Object.values(sb.seed.deliveryIdsByState)) {
			expect(ids.length).toBeGreaterThan(0);
			for (const id of ids) expect(id).toMatch(UUID_V7_PATTERN);
		}
		for (const [state, ids] of Object.entries(sb.seed.deliveryIdsByState)) {
			for (const id of ids) expect(sb.getDelivery(id)!.state).toBe(state);
		}
		for (const id of Object.values(sb.seed.scenarioDeliveryIds)) expect(sb.getDelivery(id)!.state).toBe('errored');
		expect(sb.getDelivery(sb.seed.otherOrgDeliveryId)).toBeDefined();
		expect(new Set([sb.clients.admin.clientId, sb.clients.nonAdmin.clientId, sb.clients.otherOrgAdmin.clientId]).size).toBe(3);
	});

	it('seeded originals stay frozen; createDelivery adds one frozen in the given state', async () => {
		const sb = await startTestSandbox();
		const id = sb.seed.deliveryIdsByState.retrying[0];
		const before = sb.getDelivery(id);
		await sleep(20);
		expect(sb.getDelivery(id)).toEqual(before);
		const d = sb.createDelivery({ state: 'in_progress', eventAction: 'report_export_completed' });
		expect(d).toMatchObject({ state: 'in_progress', event_action: 'report_export_completed', webhook_id: sb.seed.webhooks[0].id });
		await sleep(20);
		expect(sb.getDelivery(d.id)!.state).toBe('in_progress');
		const b = sb.createDelivery({ organisation: 'B' });
		expect(b.state).toBe('errored');
		expect(sb.seed.webhooks.find((w) => w.id === b.webhook_id)!.organisationId).toBe(sb.seed.organisations[1].id);
	});

	it('redeliveries follow the scenario of their original, then the default scenario', async () => {
		const sb = await startTestSandbox({ defaultScenario: SCENARIOS.erroredAfter3 });
		const token = await getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret);
		const redeliver = async (id: string) =>
			(await request(sb.baseUrl, `/api/v2/webhook_deliveries/${id}/redeliveries`, { method: 'POST', headers: bearer(token) })).json
				.id as string;
		const fast = await redeliver(sb.seed.scenarioDeliveryIds.fastSuccess);
		const never = await redeliver(sb.seed.scenarioDeliveryIds.neverSettles);
		const plain = await redeliver(sb.seed.deliveryIdsByState.errored[6]);
		const custom = sb.createDelivery({ redeliveryScenario: { outcome: 'errored', failedAttempts: 1, failure: { code: 418, error: null } } });
		const customRe = await redeliver(custom.id);
		const reRe = await redeliver(fast); // a redelivery of a redelivery follows the original's scenario
		await sleep(60);
		expect(sb.getDelivery(fast)!.state).toBe('completed');
		expect(sb.getDelivery(fast)!.response).toEqual({ code: 200, error: null });
		expect(['in_progress', 'retrying']).toContain(sb.getDelivery(never)!.state);
		expect(sb.getDelivery(plain)!.state).toBe('errored');
		expect(sb.getDelivery(customRe)!.response).toEqual({ code: 418, error: null });
		expect(sb.getDelivery(reRe)!.state).toBe('completed');
		sb.setRedeliveryScenario(sb.seed.deliveryIdsByState.errored[6], SCENARIOS.fastSuccess);
		sb.setDefaultScenario(SCENARIOS.neverSettles);
		const plain2 = await redeliver(sb.seed.deliveryIdsByState.errored[6]);
		const other = await redeliver(sb.seed.deliveryIdsByState.errored[7]);
		await sleep(30);
		expect(sb.getDelivery(plain2)!.state).toBe('completed');
		expect(sb.getDelivery(other)!.state).not.toMatch(/completed|errored/);
	});

	it('setTimeScale changes the pace without moving deliveries backwards', async () => {
		const sb = await startTestSandbox({ timeScale: 1000 });
		sb.setDefaultScenario(SCENARIOS.neverSettles);
		const token = await getToken(sb.baseUrl, sb.clients.admin.clientId, sb.clients.admin.clientSecret);
		const res = await request(sb.baseUrl, `/api/v2/webhook_deliveries/${sb.seed.deliveryIdsByState.errored[6]}/redeliveries`, {
			method: 'POST',
			headers: bearer(token),
		});
		await sleep(20);
		const before = sb.getDelivery(res.json.id)!;
		sb.setTimeScale(0.001);
		await sleep(20);
		const after = sb.getDelivery(res.json.id)!;
		expect(after.updated_at >= before.updated_at).toBe(true);
		expect(after.updated_at <= new Date().toISOString()).toBe(true);
		expect(() => sb.setTimeScale(0)).toThrow(RangeError);
	});
});
