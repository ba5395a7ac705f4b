// Redeliver with "Wait for Final State", in a real n8n, against sandbox deliveries that complete, fail again or never
// settle. The sandbox clock runs 10x fast, so a 14 s retry chain takes 1.4 s.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { describeExecution, E2ECase, pairedIndexes } from './harness';
import { REDELIVER_NODE, redeliverWorkflow } from './workflows';

const WAIT = { waitForFinalState: true, pollInterval: 0.5, timeout: 3 };

test('wait for final state: one delivery completes, one errors, one times out (both On Timeout choices)', async (t) => {
	const c = await E2ECase.start(t, 'wait', { timeScale: 10 });
	const { fastSuccess, erroredAfter3, neverSettles } = c.sandbox.seed.scenarioDeliveryIds;
	const ids = [fastSuccess, erroredAfter3, neverSettles];
	await c.importCredential();
	await c.importWorkflows(
		redeliverWorkflow({
			id: 'e2eWaitLastState',
			name: 'Wait, return last state on timeout',
			ids,
			parameters: { ...WAIT, onTimeout: 'returnLastState' },
		}),
		redeliverWorkflow({
			id: 'e2eWaitErrorOnTO',
			name: 'Wait, error on timeout',
			ids: [neverSettles],
			parameters: { ...WAIT, onTimeout: 'error' },
		}),
	);

	const lastState = await c.execute('e2eWaitLastState');
	assert.ok(lastState.execution.ok, describeExecution(lastState.execution));
	const out = lastState.execution.output(REDELIVER_NODE);
	const waits = out.map((item) => item.json.hindsiteWait as { timedOut: boolean; polls: number; waitedSeconds: number });
	c.report(
		`returnLastState: states ${JSON.stringify(out.map((item) => item.json.state))}, timedOut ${JSON.stringify(waits.map((w) => w?.timedOut))}, ` +
			`${lastState.seen.tokenRequests} token request, ${lastState.seen.posts} POSTs, ${lastState.seen.lists} list requests`,
	);
	assert.equal(lastState.seen.tokenRequests, 1);
	assert.equal(lastState.seen.posts, 3);
	assert.ok(lastState.seen.lists >= 1, 'the state was read from the list endpoint');
	assert.deepEqual(pairedIndexes(out), [0, 1, 2]);
	out.forEach((item, index) =>
		assert.deepEqual(lastState.seen.createdById.get(ids[index]), [item.json.id], `item ${index} follows its own redelivery`),
	);
	assert.equal(out[0].json.state, 'completed');
	assert.equal(waits[0].timedOut, false);
	assert.equal(out[1].json.state, 'errored');
	assert.equal(waits[1].timedOut, false);
	assert.ok(['pending', 'in_progress', 'retrying'].includes(String(out[2].json.state)), `still going: ${String(out[2].json.state)}`);
	assert.equal(waits[2].timedOut, true);
	assert.ok(waits[2].waitedSeconds >= 3 && waits[2].waitedSeconds < 10, `waited ${waits[2].waitedSeconds} s`);
	assert.ok(waits[2].polls >= 2, 'it kept polling until the timeout');

	const error = await c.execute('e2eWaitErrorOnTO');
	const message = error.execution.errorMessage ?? '';
	c.report(`error: exit ${error.execution.result.code}, "${message}", ${error.seen.posts} POST`);
	assert.equal(error.execution.ok, false, 'the execution fails on the timeout');
	assert.equal(error.execution.result.code, 1);
	assert.equal(error.seen.posts, 1, 'the delivery was redelivered once, never again');
	const [created] = error.seen.createdById.get(neverSettles) ?? [];
	assert.ok(created, 'a new delivery was created');
	assert.match(message, new RegExp(`Delivery ${created} \\(a redelivery of ${neverSettles}\\) did not reach a final state within 3 s`));
});
