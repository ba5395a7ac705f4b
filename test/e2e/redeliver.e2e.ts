// Redeliver without waiting, in a real n8n: the request count, the output and its pairing, errors per item.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeExecution, describeRequests, E2ECase, pairedIndexes } from './harness';
import { REDELIVER_NODE, redeliverWorkflow } from './workflows';

/** Shaped like a HINDSITE id, but no delivery has it. */
const UNKNOWN_ID = '01900000-0000-7000-8000-00000000dead';

test('redeliver three items: one token request, three POSTs, three items out, each paired to its input', async (t) => {
	const c = await E2ECase.start(t, 'three items');
	const ids = c.sandbox.seed.deliveryIdsByState.errored.slice(0, 3);
	await c.importCredential();
	await c.importWorkflows(redeliverWorkflow({ id: 'e2eThreeItems001', name: 'Redeliver three', ids }));

	const { execution, seen } = await c.execute('e2eThreeItems001');
	assert.ok(execution.ok, describeExecution(execution));
	const out = execution.output(REDELIVER_NODE);
	c.report(
		`${seen.tokenRequests} token request, ${seen.posts} POSTs, ${out.length} items out, paired to ${JSON.stringify(pairedIndexes(out))} (n8n execute ${execution.result.seconds.toFixed(1)} s)`,
	);

	assert.equal(seen.tokenRequests, 1, 'token requests');
	assert.equal(seen.posts, 3, 'redelivery POSTs');
	assert.deepEqual([...seen.postsById.keys()].sort(), [...ids].sort(), 'one POST per input id');
	assert.equal(out.length, 3, 'items out');
	assert.deepEqual(pairedIndexes(out), [0, 1, 2], 'each output item is paired to its input');
	out.forEach((item, index) => {
		const original = c.sandbox.getDelivery(ids[index])!;
		assert.deepEqual(seen.createdById.get(ids[index]), [item.json.id], `item ${index} is the delivery created for ${ids[index]}`);
		assert.notEqual(item.json.id, ids[index], 'a redelivery has a new id');
		assert.equal(item.json.webhook_id, original.webhook_id);
		assert.equal(item.json.event_id, original.event_id);
		const answered = c.sandbox.requests.find((entry) => entry.route === 'redeliver' && entry.createdDeliveryIds?.[0] === item.json.id);
		assert.deepEqual(item.json, answered?.responseBody, `item ${index} is the created delivery exactly as the API returned it`);
	});
	// n8n's client-credentials request, as the credential configures it: a form body with the id and secret, no Basic.
	const tokenRequest = c.sandbox.requests.find((entry) => entry.route === 'token')!;
	assert.equal(tokenRequest.authPresent, false, 'the token request sends no Authorization header');
	assert.deepEqual(tokenRequest.body, {
		grant_type: 'client_credentials',
		client_id: c.sandbox.clients.admin.clientId,
		client_secret: '***',
		scope: '',
	});
});

test('an unknown id with continueOnFail: an error item for it, the other items succeed', async (t) => {
	const c = await E2ECase.start(t, 'unknown id');
	const [first, last] = c.sandbox.seed.deliveryIdsByState.errored;
	const ids = [first, UNKNOWN_ID, last];
	await c.importCredential();
	await c.importWorkflows(redeliverWorkflow({ id: 'e2eUnknownId0001', name: 'Unknown id', ids, continueOnFail: true }));

	const { execution, seen } = await c.execute('e2eUnknownId0001');
	assert.ok(execution.ok, describeExecution(execution));
	const out = execution.output(REDELIVER_NODE);
	const error = String(out[1]?.json.error ?? '');
	c.report(
		`${seen.tokenRequests} token request, ${seen.posts} POSTs, ${out.length} items out (${out.filter((i) => !i.json.error).length} delivered, 1 error: "${error}")`,
	);

	assert.equal(seen.tokenRequests, 1, 'token requests');
	assert.equal(seen.posts, 3, 'one POST per item, the unknown one answered 404');
	assert.deepEqual(pairedIndexes(out), [0, 1, 2]);
	assert.match(error, new RegExp(`Delivery ${UNKNOWN_ID} was not found in your organisation`));
	for (const index of [0, 2]) {
		assert.equal(out[index].json.error, undefined, `item ${index} succeeds`);
		assert.deepEqual(seen.createdById.get(ids[index]), [out[index].json.id]);
	}
	assert.deepEqual(seen.createdById.get(UNKNOWN_ID), [], 'nothing was created for the unknown id');
});

test('token revoked mid-run: n8n fetches a new one, the run succeeds, no POST is duplicated', async (t) => {
	const c = await E2ECase.start(t, 'token revoked');
	const ids = c.sandbox.seed.deliveryIdsByState.errored.slice(0, 3);
	await c.importCredential();
	await c.importWorkflows(redeliverWorkflow({ id: 'e2eTokenRevoke01', name: 'Token revoked', ids }));
	// The second redelivery request finds every token revoked and is answered 401.
	c.sandbox.injectFault({ route: 'redeliver', kind: 'revokeTokens', skip: 1 });

	const { execution, seen, requests } = await c.execute('e2eTokenRevoke01');
	const log = `requests:\n${describeRequests(requests)}`;
	assert.ok(execution.ok, describeExecution(execution));
	const out = execution.output(REDELIVER_NODE);
	const createdPerId = ids.map((id) => seen.createdById.get(id)?.length ?? 0);
	c.report(
		`${seen.tokenRequests} token requests, ${seen.posts} POSTs (${seen.unauthorized} answered 401), deliveries created per id ${JSON.stringify(createdPerId)}, ${out.length} items out`,
	);

	assert.ok(seen.unauthorized >= 1, `the revoked token was refused\n${log}`);
	assert.ok(seen.tokenRequests >= 2, `a new token was fetched after the 401\n${log}`);
	// A POST answered 401 created nothing, so sending it again is safe; what must never happen is a second delivery.
	assert.equal(seen.posts, 3 + seen.unauthorized, `only the refused POSTs were sent again\n${log}`);
	assert.deepEqual(createdPerId, [1, 1, 1], `each original got exactly one new delivery\n${log}`);
	assert.equal(out.length, 3);
	assert.deepEqual(pairedIndexes(out), [0, 1, 2]);
	out.forEach((item, index) => assert.deepEqual(seen.createdById.get(ids[index]), [item.json.id]));
});

test('a blank id: a clear error naming the item, and no request for it', async (t) => {
	const c = await E2ECase.start(t, 'blank id');
	const [first, last] = c.sandbox.seed.deliveryIdsByState.errored;
	await c.importCredential();
	await c.importWorkflows(
		redeliverWorkflow({ id: 'e2eBlankIdFails1', name: 'Blank id fails', ids: [first, '  ', last] }),
		redeliverWorkflow({ id: 'e2eBlankIdGoesOn', name: 'Blank id, continue', ids: [first, '', last], continueOnFail: true }),
	);

	const failing = await c.execute('e2eBlankIdFails1');
	assert.equal(failing.execution.ok, false, 'the execution fails');
	assert.equal(failing.execution.result.code, 1, 'n8n execute exits 1');
	const message = failing.execution.errorMessage ?? '';
	assert.match(message, /Item 1: the Delivery ID is empty/);
	assert.equal(failing.requests.length, 0, 'nothing at all was sent, not even for the valid items');

	const goingOn = await c.execute('e2eBlankIdGoesOn');
	assert.ok(goingOn.execution.ok, describeExecution(goingOn.execution));
	const out = goingOn.execution.output(REDELIVER_NODE);
	c.report(
		`without continueOnFail: "${message}", ${failing.requests.length} requests; with it: ${goingOn.seen.posts} POSTs, ${out.length} items out, item 1 error "${String(out[1]?.json.error)}"`,
	);
	assert.equal(goingOn.seen.posts, 2, 'only the two valid ids were sent');
	assert.deepEqual([...goingOn.seen.postsById.keys()].sort(), [first, last].sort());
	assert.deepEqual(pairedIndexes(out), [0, 1, 2]);
	assert.match(String(out[1].json.error), /Item 1: the Delivery ID is empty/);
	assert.equal(out[0].json.error, undefined);
	assert.equal(out[2].json.error, undefined);
});
