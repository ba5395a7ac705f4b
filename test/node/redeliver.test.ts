import type { IDataObject, INodeParameters } from 'n8n-workflow';

import type { Sandbox } from '../../sandbox';
import { SCENARIOS } from '../../sandbox';
import { CredentialStore, runNode } from '../helpers/n8nHarness';
import { expectRecordedResponsesValid, startTestSandbox, stopTestSandboxes } from '../helpers/sandbox';

const redeliver = (extra: INodeParameters = {}): INodeParameters => ({
	resource: 'webhookDelivery',
	operation: 'redeliver',
	deliveryId: '={{ $json.id }}',
	...extra,
});

const posts = (sandbox: Sandbox) => sandbox.requests.filter((r) => r.route === 'redeliver');
const tokenRequests = (sandbox: Sandbox) => sandbox.requests.filter((r) => r.route === 'token');

let sandbox: Sandbox;
let credentials: CredentialStore;

beforeEach(async () => {
	sandbox = await startTestSandbox();
	credentials = CredentialStore.forSandbox(sandbox.baseUrl, sandbox.clients.admin);
});
afterEach(async () => {
	expectRecordedResponsesValid([sandbox]);
	await stopTestSandboxes();
});

describe('Redeliver', () => {
	test('N items in give N new deliveries out, each paired to its input, with one token for the run', async () => {
		const originals = sandbox.seed.deliveryIdsByState.errored.slice(0, 3);
		const [output] = await runNode({ parameters: redeliver(), items: originals.map((id) => ({ id })), credentials });

		expect(output).toHaveLength(3);
		output.forEach((item, index) => {
			expect(item.pairedItem).toEqual({ item: index });
			const original = sandbox.getDelivery(originals[index])!;
			expect(item.json.id).not.toBe(original.id);
			expect(item.json).toMatchObject({
				webhook_id: original.webhook_id,
				event_id: original.event_id,
				event_action: original.event_action,
				state: 'pending',
				response: null,
			});
		});
		expect(tokenRequests(sandbox)).toHaveLength(1);
		expect(credentials.tokenWrites).toHaveLength(1);
		expect(posts(sandbox).map((r) => r.path)).toEqual(
			expect.arrayContaining(originals.map((id) => `/api/v2/webhook_deliveries/${id}/redeliveries`)),
		);
		expect(posts(sandbox)).toHaveLength(3);
		expect(posts(sandbox).every((r) => r.authPresent && r.status === 201)).toBe(true);
	});

	test('the output is the created delivery exactly as HINDSITE returned it', async () => {
		const [original] = sandbox.seed.deliveryIdsByState.errored;
		const [output] = await runNode({ parameters: redeliver(), items: [{ id: original }], credentials });
		expect(output[0].json).toEqual(posts(sandbox)[0].responseBody);
	});

	test('a later run reuses the stored token: no token request', async () => {
		const [first, second] = sandbox.seed.deliveryIdsByState.errored;
		await runNode({ parameters: redeliver(), items: [{ id: first }], credentials });
		sandbox.clearLog();
		await runNode({ parameters: redeliver(), items: [{ id: second }], credentials });
		expect(tokenRequests(sandbox)).toHaveLength(0);
		expect(posts(sandbox)).toHaveLength(1);
	});

	test('the output keeps the input order when later items answer first', async () => {
		const originals = sandbox.seed.deliveryIdsByState.errored.slice(0, 4);
		// The first two answer slowly; with concurrency the last two finish first.
		sandbox.injectFault({
			route: 'redeliver',
			kind: 'latency',
			ms: 150,
			times: 2,
			match: (req) => req.path.includes(originals[0]) || req.path.includes(originals[1]),
		});
		const [output] = await runNode({
			parameters: redeliver({ options: { concurrency: 4 } }),
			items: originals.map((id) => ({ id })),
			credentials,
		});
		const createdFor = (id: string) => posts(sandbox).find((r) => r.path.includes(id))!.createdDeliveryIds![0];
		expect(output.map((item) => item.json.id)).toEqual(originals.map(createdFor));
		const finishOrder = [...posts(sandbox)].sort((a, b) => a.startedAt + a.durationMs - (b.startedAt + b.durationMs));
		expect(finishOrder[finishOrder.length - 1].path).not.toContain(originals[3]);
	});

	test('a fresh credential fetches one token even with several requests in flight', async () => {
		const originals = sandbox.seed.deliveryIdsByState.errored.slice(0, 5);
		await runNode({
			parameters: redeliver({ options: { concurrency: 5 } }),
			items: originals.map((id) => ({ id })),
			credentials,
		});
		expect(tokenRequests(sandbox)).toHaveLength(1);
		expect(posts(sandbox)).toHaveLength(5);
	});
});

describe('Redeliver: invalid Delivery IDs', () => {
	const invalid: Array<[string, unknown]> = [
		['empty', ''],
		['whitespace', '   '],
		['a number', 42],
		['missing', undefined],
		['an object', { id: 'x' }],
		['a list', ['a', 'b']],
		['a dot segment', '..'],
		['containing a newline', 'abc\ndef'],
	];

	test.each(invalid)('an id that is %s stops that item with an error naming it, and nothing is sent for it', async (_label, bad) => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		const [output] = await runNode({
			parameters: redeliver(),
			items: [{ id: good }, { id: bad as IDataObject[string] }],
			credentials,
			onError: 'continueRegularOutput',
		});
		expect(output).toHaveLength(2);
		expect(output[0].json.id).toBeDefined();
		expect(output[1].pairedItem).toEqual({ item: 1 });
		expect(output[1].json.error).toMatch(/^Item 1: /);
		expect(posts(sandbox)).toHaveLength(1);
		expect(posts(sandbox)[0].path).toContain(good);
	});

	test('without Continue On Fail a blank id fails the node before anything is sent', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		await expect(
			runNode({ parameters: redeliver(), items: [{ id: good }, { id: ' ' }], credentials }),
		).rejects.toThrow('Item 1: the Delivery ID is empty');
		expect(sandbox.requests).toHaveLength(0);
	});

	test('an id is trimmed before it is sent', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		await runNode({ parameters: redeliver(), items: [{ id: `  ${good}\t` }], credentials });
		expect(posts(sandbox)[0].path).toBe(`/api/v2/webhook_deliveries/${good}/redeliveries`);
	});

	test.each([
		['../x', '..%2Fx'],
		['a/b', 'a%2Fb'],
		['%2F', '%252F'],
		['a?b#c', 'a%3Fb%23c'],
		['../../oauth/token', '..%2F..%2Foauth%2Ftoken'],
	])('the id %s is encoded into one path segment and reaches no other route', async (id, segment) => {
		const [output] = await runNode({
			parameters: redeliver(),
			items: [{ id }],
			credentials,
			onError: 'continueRegularOutput',
		});
		const apiRequests = sandbox.requests.filter((r) => r.route !== 'token');
		expect(apiRequests).toHaveLength(1);
		expect(apiRequests[0]).toMatchObject({
			route: 'redeliver',
			path: `/api/v2/webhook_deliveries/${segment}/redeliveries`,
			status: 404,
		});
		expect(output[0].json.error).toBe(`Delivery ${id} was not found in your organisation`);
	});
});

describe('Redeliver: API errors', () => {
	test('an unknown id gives a 404 error item naming it; the other items succeed', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		const [output] = await runNode({
			parameters: redeliver(),
			items: [{ id: 'does-not-exist' }, { id: good }],
			credentials,
			onError: 'continueRegularOutput',
		});
		expect(output[0]).toMatchObject({
			json: { error: 'Delivery does-not-exist was not found in your organisation', httpCode: '404' },
			pairedItem: { item: 0 },
		});
		expect(output[1].json.state).toBe('pending');
	});

	test("another organisation's delivery is not found in yours", async () => {
		const other = sandbox.seed.otherOrgDeliveryId;
		await expect(runNode({ parameters: redeliver(), items: [{ id: other }], credentials })).rejects.toThrow(
			`Delivery ${other} was not found in your organisation`,
		);
		expect(sandbox.getDelivery(other)).toBeDefined();
	});

	test('a non-admin client is told it is not an admin', async () => {
		const nonAdmin = CredentialStore.forSandbox(sandbox.baseUrl, sandbox.clients.nonAdmin);
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		await expect(runNode({ parameters: redeliver(), items: [{ id: good }], credentials: nonAdmin })).rejects.toThrow(
			"The credential's client is not an admin in its HINDSITE organisation",
		);
	});

	test('a wrong client secret fails with a token error and sends no API request', async () => {
		const wrong = CredentialStore.forSandbox(sandbox.baseUrl, { ...sandbox.clients.admin, clientSecret: 'not-the-secret' });
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		const error = await runNode({ parameters: redeliver(), items: [{ id: good }], credentials: wrong }).catch((e) => e);
		expect(error.message).toMatch(/^Could not get an access token from HINDSITE/);
		expect(JSON.stringify({ message: error.message, description: error.description })).not.toContain('not-the-secret');
		expect(posts(sandbox)).toHaveLength(0);
	});

	test.each([
		['answers with an HTML 503 page', { route: 'token', kind: 'tokenDown' }],
		['drops the connection', { route: 'token', kind: 'reset' }],
	] as const)('a token endpoint that %s gives a token error, and no redelivery is sent', async (_label, fault) => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault(fault);
		const error = await runNode({ parameters: redeliver(), items: [{ id: good }], credentials }).catch((e) => e);
		expect(error.message).toMatch(/^Could not get an access token from HINDSITE/);
		expect(error.description).toMatch(/The request itself was not sent/);
		expect(posts(sandbox)).toHaveLength(0);
	});

	test('a client refused even with a fresh token is not refreshed again for every item', async () => {
		const originals = sandbox.seed.deliveryIdsByState.errored.slice(0, 3);
		sandbox.injectFault({ route: 'redeliver', kind: 'revokeTokens', times: Infinity });
		const [output] = await runNode({
			parameters: redeliver({ options: { concurrency: 1 } }),
			items: originals.map((id) => ({ id })),
			credentials,
			onError: 'continueRegularOutput',
		});
		expect(output.map((item) => item.json.error)).toEqual(
			originals.map(() => expect.stringMatching(/rejected the access token \(HTTP 401\)/)),
		);
		// The first item: refused; sent again so that n8n refreshes (refused); n8n sends it with the new token (refused)
		// and, as n8n 2.8 does after a failed refresh, once more (refused). The others: refused once each, with no
		// further token request.
		expect(tokenRequests(sandbox)).toHaveLength(2);
		expect(posts(sandbox).map((r) => r.path)).toEqual([
			...Array(4).fill(`/api/v2/webhook_deliveries/${originals[0]}/redeliveries`),
			`/api/v2/webhook_deliveries/${originals[1]}/redeliveries`,
			`/api/v2/webhook_deliveries/${originals[2]}/redeliveries`,
		]);
		expect(posts(sandbox).every((r) => r.status === 401)).toBe(true);
	});

	test('error items carry nothing secret: no client secret, no access token', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', kind: 'status', status: 500, skip: 1 });
		const [output] = await runNode({
			parameters: redeliver(),
			items: [{ id: good }, { id: sandbox.seed.deliveryIdsByState.errored[1] }, { id: 'nope' }],
			credentials,
			onError: 'continueRegularOutput',
		});
		const token = credentials.storedAccessToken!;
		const text = JSON.stringify(output.map((item) => ({ json: item.json, error: item.error && { ...item.error, message: item.error.message, description: item.error.description } })));
		expect(token).toBeTruthy();
		expect(text).not.toContain(token);
		expect(text).not.toContain(sandbox.clients.admin.clientSecret);
	});
});

describe('Redeliver: a POST whose outcome is unknown is never sent again', () => {
	test.each([
		['HTTP 500', { kind: 'status', status: 500 }],
		['HTTP 502', { kind: 'status', status: 502 }],
		['HTTP 503', { kind: 'status', status: 503 }],
		['HTTP 504', { kind: 'status', status: 504 }],
		['an HTML error page', { kind: 'html', status: 502 }],
		['a connection reset', { kind: 'reset' }],
		['a connection dropped after the work was done', { kind: 'dropAfterWork' }],
	] as const)('%s: one POST, an error saying the outcome is unknown', async (_label, fault) => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', ...fault });
		const error = await runNode({ parameters: redeliver(), items: [{ id: good }], credentials }).catch((e) => e);
		expect(error.message).toMatch(/^The outcome of POST \/api\/v2\/webhook_deliveries\/.+\/redeliveries is unknown/);
		expect(error.description).toMatch(/not sent again/);
		expect(posts(sandbox)).toHaveLength(1);
	});

	test('a slow answer past the request timeout: one POST, outcome unknown', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', kind: 'slowResponse', ms: 2500 });
		const error = await runNode({
			parameters: redeliver({ options: { requestTimeout: 1 } }),
			items: [{ id: good }],
			credentials,
		}).catch((e) => e);
		expect(error.message).toMatch(/is unknown \(no answer before the request timeout\)/);
		expect(posts(sandbox)).toHaveLength(1);
		expect(posts(sandbox)[0].createdDeliveryIds).toHaveLength(1);
	});

	test('a 201 whose body is not JSON is not sent again', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', kind: 'malformedJson' });
		const error = await runNode({ parameters: redeliver(), items: [{ id: good }], credentials }).catch((e) => e);
		expect(error.message).toMatch(/HINDSITE accepted POST .* \(HTTP 201\) but its answer could not be read/);
		expect(posts(sandbox)).toHaveLength(1);
	});

	test('429 with Retry-After was not processed, so the POST is sent again and succeeds', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', kind: 'status', status: 429, retryAfterSeconds: 0 });
		const [output] = await runNode({ parameters: redeliver(), items: [{ id: good }], credentials });
		expect(posts(sandbox).map((r) => r.status)).toEqual([429, 201]);
		expect(output[0].json.state).toBe('pending');
	});

	test('429 without Retry-After is reported, not retried', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		sandbox.injectFault({ route: 'redeliver', kind: 'status', status: 429 });
		await expect(runNode({ parameters: redeliver(), items: [{ id: good }], credentials })).rejects.toThrow(
			/rate limiting requests \(HTTP 429\)/,
		);
		expect(posts(sandbox)).toHaveLength(1);
	});

	test('a revoked token is refreshed once by n8n and the POSTs that were refused are sent again', async () => {
		const originals = Array.from({ length: 8 }, () => sandbox.createDelivery().id);
		sandbox.injectFault({ route: 'redeliver', kind: 'revokeTokens', skip: 2 });
		const [output] = await runNode({
			parameters: redeliver({ options: { concurrency: 5 } }),
			items: originals.map((id) => ({ id })),
			credentials,
		});
		expect(output).toHaveLength(8);
		expect(tokenRequests(sandbox)).toHaveLength(2);
		for (const id of originals) {
			const created = posts(sandbox)
				.filter((r) => r.path.includes(id))
				.flatMap((r) => r.createdDeliveryIds ?? []);
			expect(created).toHaveLength(1);
		}
		expect(posts(sandbox).filter((r) => r.status === 201)).toHaveLength(8);
	});
});

describe('Redeliver: wait for final state', () => {
	const wait = (extra: INodeParameters = {}) =>
		redeliver({ waitForFinalState: true, pollInterval: 0.1, timeout: 5, ...extra });

	test('waits until completed, errored, and reports each outcome as an item', async () => {
		const { fastSuccess, erroredAfter3 } = sandbox.seed.scenarioDeliveryIds;
		const [output] = await runNode({
			parameters: wait(),
			items: [{ id: fastSuccess }, { id: erroredAfter3 }],
			credentials,
		});
		expect(output.map((item) => item.json.state)).toEqual(['completed', 'errored']);
		expect(output[0].json.hindsiteWait).toMatchObject({ finalState: true, timedOut: false });
		expect(output[1].json.response).toMatchObject({ code: null, error: 'connection_timeout' });
		expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
		const lists = sandbox.requests.filter((r) => r.route === 'list');
		expect(lists.length).toBeGreaterThan(0);
		for (const list of lists) {
			expect(list.query.since).toBeDefined();
			expect(list.query.webhook_id).toBeDefined();
		}
	});

	test('Error If Delivery Errored turns an errored final state into an error', async () => {
		const { erroredAfter3 } = sandbox.seed.scenarioDeliveryIds;
		await expect(
			runNode({ parameters: wait({ options: { errorOnErroredState: true } }), items: [{ id: erroredAfter3 }], credentials }),
		).rejects.toThrow(/errored: its automatic retries are exhausted/);
	});

	test('a wait that times out is an error naming the delivery and its last state', async () => {
		const { neverSettles } = sandbox.seed.scenarioDeliveryIds;
		const error = await runNode({ parameters: wait({ timeout: 0.5 }), items: [{ id: neverSettles }], credentials }).catch((e) => e);
		const created = posts(sandbox)[0].createdDeliveryIds![0];
		expect(error.message).toMatch(
			new RegExp(`^Delivery ${created} \\(a redelivery of ${neverSettles}\\) did not reach a final state within 0.5 s: it was last (in_progress|retrying)$`),
		);
	});

	test('On Timeout "Return Last State" outputs the last known delivery flagged as timed out', async () => {
		const { neverSettles, fastSuccess } = sandbox.seed.scenarioDeliveryIds;
		const [output] = await runNode({
			parameters: wait({ timeout: 0.5, onTimeout: 'returnLastState' }),
			items: [{ id: neverSettles }, { id: fastSuccess }],
			credentials,
		});
		expect(output[0].json).toMatchObject({ hindsiteWait: { timedOut: true, finalState: false } });
		expect(['in_progress', 'retrying']).toContain(output[0].json.state);
		expect(output[1].json).toMatchObject({ state: 'completed', hindsiteWait: { timedOut: false } });
	});

	test('deliveries of one webhook waiting together cost one listing per round, not one each', async () => {
		// Slow enough (about 0.3 s) to take several polling rounds.
		sandbox.setTimeScale(100);
		const webhookId = sandbox.seed.webhooks[0].id;
		const originals = Array.from({ length: 4 }, () =>
			sandbox.createDelivery({ webhookId, redeliveryScenario: SCENARIOS.slowSuccess }).id,
		);
		const [output] = await runNode({ parameters: wait(), items: originals.map((id) => ({ id })), credentials });
		expect(output.every((item) => item.json.state === 'completed')).toBe(true);
		const rounds = Math.max(...output.map((item) => (item.json.hindsiteWait as { polls: number }).polls));
		const lists = sandbox.requests.filter((r) => r.route === 'list');
		expect(rounds).toBeGreaterThan(1);
		expect(lists).toHaveLength(rounds);
		expect(new Set(lists.map((r) => r.query.webhook_id))).toEqual(new Set([webhookId]));
	});

	test('the listing walks further pages until every waiting delivery is found', async () => {
		await stopTestSandboxes();
		sandbox = await startTestSandbox({ pageSize: 2 });
		credentials = CredentialStore.forSandbox(sandbox.baseUrl, sandbox.clients.admin);
		const webhookId = sandbox.seed.webhooks[0].id;
		const originals = Array.from({ length: 5 }, () =>
			sandbox.createDelivery({ webhookId, redeliveryScenario: SCENARIOS.fastSuccess }).id,
		);
		const [output] = await runNode({ parameters: wait(), items: originals.map((id) => ({ id })), credentials });
		expect(output.every((item) => item.json.state === 'completed')).toBe(true);
		const pages = sandbox.requests.filter((r) => r.route === 'list').map((r) => r.query.page);
		// Every round reads pages 1 to 3 (five deliveries, two a page) and stops once all five are found.
		expect(pages.length).toBeGreaterThan(0);
		expect(pages.join(',')).toMatch(/^(1,2,3)(,1,2,3)*$/);
	});

	test('a listing that fails for a moment is read again (GETs are safe to retry)', async () => {
		const { fastSuccess } = sandbox.seed.scenarioDeliveryIds;
		sandbox.injectFault({ route: 'list', kind: 'status', status: 503 });
		const [output] = await runNode({ parameters: wait(), items: [{ id: fastSuccess }], credentials });
		expect(output[0].json.state).toBe('completed');
		expect(sandbox.requests.filter((r) => r.route === 'list').map((r) => r.status).slice(0, 2)).toEqual([503, 200]);
	});

	test('cancelling the execution during the wait ends it at once, with no further listing', async () => {
		const { neverSettles } = sandbox.seed.scenarioDeliveryIds;
		const controller = new AbortController();
		const pollIntervalSeconds = 30;
		const run = runNode({
			parameters: wait({ pollInterval: pollIntervalSeconds, timeout: 120 }),
			items: [{ id: neverSettles }],
			credentials,
			abortSignal: controller.signal,
		});
		const outcome = run.then(
			() => 'finished',
			(error: Error) => error.constructor.name,
		);
		// Abort once the POST has been answered and the node is sleeping until its first check.
		while (posts(sandbox)[0]?.status == null) await new Promise((resolve) => setTimeout(resolve, 5));
		await new Promise((resolve) => setTimeout(resolve, 100));
		const abortedAt = Date.now();
		controller.abort();
		expect(await outcome).toBe('ManualExecutionCancelledError');
		expect(Date.now() - abortedAt).toBeLessThan(1000);
		expect(sandbox.requests.filter((r) => r.route === 'list')).toHaveLength(0);
	});

	test('the timeout bounds the wait even when listings keep failing slowly', async () => {
		const { neverSettles } = sandbox.seed.scenarioDeliveryIds;
		sandbox.injectFault({ route: 'list', kind: 'status', status: 503, retryAfterSeconds: 2, times: Infinity });
		const started = Date.now();
		const [output] = await runNode({
			parameters: wait({ timeout: 0.5, onTimeout: 'returnLastState' }),
			items: [{ id: neverSettles }],
			credentials,
			onError: 'continueRegularOutput',
		});
		// A Retry-After of 2 s lies past the 0.5 s deadline, so it is not waited for: the item ends at once, saying
		// that the redelivery was made but its state could not be read.
		expect(Date.now() - started).toBeLessThan(2000);
		expect(sandbox.requests.filter((r) => r.route === 'list')).toHaveLength(1);
		expect(output[0].json.error).toMatch(/was created, but its state could not be read: .*HTTP 503/);
	});

	test('listings for several webhooks respect the Concurrency option', async () => {
		const webhooks = sandbox.seed.webhooks.filter((w) => w.organisationId === sandbox.seed.webhooks[0].organisationId).slice(0, 3);
		expect(webhooks).toHaveLength(3);
		const originals = webhooks.map((w) => sandbox.createDelivery({ webhookId: w.id, redeliveryScenario: SCENARIOS.fastSuccess }).id);
		sandbox.injectFault({ route: 'list', kind: 'latency', ms: 60, times: Infinity });
		const [output] = await runNode({
			parameters: wait({ options: { concurrency: 1 } }),
			items: originals.map((id) => ({ id })),
			credentials,
		});
		expect(output.every((item) => item.json.state === 'completed')).toBe(true);
		const lists = sandbox.requests.filter((r) => r.route === 'list');
		expect(lists.length).toBeGreaterThanOrEqual(3);
		const overlapping = lists.some((a) =>
			lists.some((b) => a !== b && a.startedAt < b.startedAt && b.startedAt < a.startedAt + a.durationMs),
		);
		expect(overlapping).toBe(false);
	});
});

describe('Redeliver: n8n settings that would send webhooks twice', () => {
	test('Retry On Fail is refused before anything is sent', async () => {
		const [good] = sandbox.seed.deliveryIdsByState.errored;
		await expect(
			runNode({ parameters: redeliver(), items: [{ id: good }], credentials, retryOnFail: true }),
		).rejects.toThrow('Turn off "Retry On Fail" for this node');
		expect(sandbox.requests).toHaveLength(0);
	});

	test('when the node fails, its error lists the redeliveries already made in this run', async () => {
		const [first, second] = sandbox.seed.deliveryIdsByState.errored;
		const error = await runNode({
			parameters: redeliver({ options: { concurrency: 1 } }),
			items: [{ id: first }, { id: second }, { id: 'nope' }],
			credentials,
		}).catch((e) => e);
		expect(error.message).toBe('Delivery nope was not found in your organisation');
		const created = posts(sandbox).flatMap((r) => r.createdDeliveryIds ?? []);
		expect(created).toHaveLength(2);
		expect(error.description).toContain('Already redelivered in this run');
		for (const id of created) expect(error.description).toContain(id);
	});
});
