// Every workflow in examples/ runs green in a real n8n, so the examples cannot rot. Sample ids are bound to sandbox
// deliveries (scripts/e2e/examples.ts); known examples also get their outcome checked.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { bindToSandbox, loadExamples } from '../../scripts/e2e/examples';
import type { Execution } from '../../scripts/e2e/n8n';
import { describeExecution, E2ECase, type Tally } from './harness';

type Check = (execution: Execution, seen: Tally, ids: Map<string, string>) => string;

const sandboxId = (ids: Map<string, string>, sample: string) => ids.get(sample)!;

/** What each known example must produce, beyond running green. Returns a line for the log. */
const CHECKS: Record<string, Check> = {
	'error-alert.workflow.json': (execution, seen, ids) => {
		const redelivered = execution.output('Redeliver and wait');
		const recovered = execution.output('Recovered');
		const alerts = execution.output('Alert: still failing');
		assert.deepEqual(
			redelivered.map((item) => item.json.state),
			['completed', 'errored'],
		);
		assert.equal(recovered.length, 1);
		assert.match(String(recovered[0].json.message), new RegExp(`^Delivery ${sandboxId(ids, '0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c11')} recovered`));
		assert.equal(alerts.length, 1);
		assert.match(String(alerts[0].json.subject), new RegExp(sandboxId(ids, '0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c12')));
		assert.match(String(alerts[0].json.message), / is errored\./);
		return `states ${JSON.stringify(redelivered.map((item) => item.json.state))}, ${recovered.length} recovered, ${alerts.length} alert, ${seen.lists} list requests`;
	},
	'redeliver-pasted-ids.workflow.json': (execution, seen, ids) => {
		const done = execution.output('Redelivered');
		const refused = execution.output('Could not redeliver');
		assert.equal(seen.posts, 4, 'five pasted lines, one repeated: four POSTs');
		assert.equal(done.length, 3);
		assert.equal(refused.length, 1);
		assert.equal(refused[0].json.deliveryId, sandboxId(ids, '0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c24'));
		return `${done.length} redelivered, ${refused.length} refused ("${String(refused[0].json.reason)}")`;
	},
};

for (const { file, workflow } of loadExamples()) {
	test(`examples/${file} runs green`, async (t) => {
		const c = await E2ECase.start(t, file.replace(/\.workflow\.json$/, ''), { timeScale: 10 });
		const { workflow: bound, ids } = bindToSandbox(workflow, c.sandbox);
		await c.importCredential();
		await c.importWorkflows(bound);

		const { execution, seen } = await c.execute(bound.id);
		assert.ok(execution.ok, describeExecution(execution));
		assert.equal(seen.tokenRequests, 1, 'token requests');
		for (const [sample, real] of ids) {
			assert.equal(seen.postsById.get(real), 1, `sample ${sample} (${real}) was redelivered exactly once`);
		}
		const details = CHECKS[file]?.(execution, seen, ids) ?? 'no outcome check for this example';
		c.report(
			`${seen.tokenRequests} token request, ${seen.posts} POSTs, ${seen.lists} list requests; ${details} (n8n execute ${execution.result.seconds.toFixed(1)} s)`,
		);
	});
}
