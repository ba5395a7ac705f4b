// The workflows in examples/ carry sample delivery ids. To run them against a sandbox (in the end-to-end suite and in
// `npm run demo`), each sample id is swapped for a sandbox delivery that plays the part the example expects.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { Sandbox } from '../../sandbox';
import type { WorkflowFile } from './n8n';

export const EXAMPLES_DIR = resolve(__dirname, '..', '..', 'examples');

export interface Example {
	file: string;
	workflow: WorkflowFile;
}

/** Every `*.workflow.json` in examples/, sorted by file name. */
export function loadExamples(): Example[] {
	return readdirSync(EXAMPLES_DIR)
		.filter((name) => name.endsWith('.workflow.json'))
		.sort()
		.map((file) => ({ file, workflow: JSON.parse(readFileSync(join(EXAMPLES_DIR, file), 'utf8')) as WorkflowFile }));
}

export function loadExample(file: string): Example {
	const example = loadExamples().find((candidate) => candidate.file === file);
	if (!example) throw new Error(`examples/${file} does not exist`);
	return example;
}

type Role = (sandbox: Sandbox) => string;

function erroredOriginal(position: number): Role {
	return (sandbox) => {
		const scenarioIds = new Set(Object.values(sandbox.seed.scenarioDeliveryIds));
		const plain = sandbox.seed.deliveryIdsByState.errored.filter((id) => !scenarioIds.has(id));
		if (!plain[position]) throw new Error(`The sandbox seed has fewer than ${position + 1} plain errored deliveries`);
		return plain[position];
	};
}

/** Sample id → what it stands for, and the sandbox delivery that plays it. */
export const SAMPLE_IDS: Record<string, { role: string; pick: Role }> = {
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c11': {
		role: 'its redelivery fails twice, then succeeds',
		pick: (sandbox) => sandbox.seed.scenarioDeliveryIds.slowSuccess,
	},
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c12': {
		role: 'its redelivery fails all three attempts',
		pick: (sandbox) => sandbox.seed.scenarioDeliveryIds.erroredAfter3,
	},
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c21': { role: 'its redelivery succeeds', pick: erroredOriginal(0) },
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c22': { role: 'its redelivery succeeds', pick: erroredOriginal(1) },
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c23': { role: 'its redelivery succeeds', pick: erroredOriginal(2) },
	'0194f1c2-7a3e-7d41-8b2c-1e5f9a0d3c24': {
		role: "another organisation's delivery: HINDSITE answers 404",
		pick: (sandbox) => sandbox.seed.otherOrgDeliveryId,
	},
};

const ID_SHAPE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

export interface BoundExample {
	workflow: WorkflowFile;
	/** Sample id → sandbox id, for the ids this example uses. */
	ids: Map<string, string>;
}

/**
 * The example with each sample delivery id replaced by its sandbox stand-in. Fails on an id-shaped string that is not
 * a known sample (node and field ids aside), so a new example cannot silently point at nothing.
 */
export function bindToSandbox(workflow: WorkflowFile, sandbox: Sandbox): BoundExample {
	const ids = new Map<string, string>();
	const text = JSON.stringify(workflow).replace(ID_SHAPE, (found) => {
		const sample = SAMPLE_IDS[found];
		if (!sample) {
			if (isOwnId(workflow, found)) return found;
			throw new Error(`Workflow "${workflow.name}" uses ${found}, which is not one of the sample ids in scripts/e2e/examples.ts`);
		}
		const real = ids.get(found) ?? sample.pick(sandbox);
		ids.set(found, real);
		return real;
	});
	return { workflow: JSON.parse(text) as WorkflowFile, ids };
}

/** Node, assignment and condition ids are id-shaped too; they are not deliveries. */
function isOwnId(workflow: WorkflowFile, candidate: string): boolean {
	return JSON.stringify(workflow).includes(`"id":"${candidate}"`);
}
