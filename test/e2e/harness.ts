// One end-to-end case = one sandbox + one new n8n user folder with the packed package installed, both stopped and
// removed by dispose(). The suite runner (scripts/e2e/run.ts) prepares n8n and the package once and passes their
// locations in HINDSITE_E2E_CONTEXT; a file run on its own prepares them itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

import { startSandbox, type RequestLogEntry, type Sandbox, type SandboxOptions } from '../../sandbox';
import {
	CREDENTIAL_ID,
	CREDENTIAL_NAME,
	CREDENTIAL_TYPE,
	exitOnSignals,
	N8nUserFolder,
	type Execution,
	type OutputItem,
	type WorkflowFile,
} from '../../scripts/e2e/n8n';
import { prepare, type Prepared } from '../../scripts/e2e/prepare';

// Ctrl-C or the test runner's SIGTERM must not leave n8n processes behind.
exitOnSignals();

interface SuiteContext extends Prepared {
	workDir: string;
}

let suite: Promise<SuiteContext> | undefined;

function suiteContext(): Promise<SuiteContext> {
	if (!suite) {
		const fromRunner = process.env.HINDSITE_E2E_CONTEXT;
		if (fromRunner) {
			suite = Promise.resolve(JSON.parse(fromRunner) as SuiteContext);
		} else {
			const workDir = mkdtempSync(join(tmpdir(), 'n8n-nodes-hindsite-e2e-'));
			process.on('exit', () => rmSync(workDir, { recursive: true, force: true }));
			suite = prepare(workDir).then((prepared) => ({ ...prepared, workDir }));
		}
	}
	return suite;
}

/** What the sandbox saw, in the terms the cases assert on. */
export interface Tally {
	tokenRequests: number;
	posts: number;
	lists: number;
	/** Redelivery POSTs per original id, in the order sent. */
	postsById: Map<string, number>;
	/** Deliveries created per original id (a POST whose answer was lost still counts). */
	createdById: Map<string, string[]>;
	unauthorized: number;
}

export function tally(entries: RequestLogEntry[]): Tally {
	const postsById = new Map<string, number>();
	const createdById = new Map<string, string[]>();
	let tokenRequests = 0;
	let posts = 0;
	let lists = 0;
	let unauthorized = 0;
	for (const entry of entries) {
		if (entry.status === 401) unauthorized++;
		if (entry.route === 'token') tokenRequests++;
		if (entry.route === 'list') lists++;
		if (entry.route !== 'redeliver') continue;
		posts++;
		const id = redeliveredId(entry.path);
		postsById.set(id, (postsById.get(id) ?? 0) + 1);
		createdById.set(id, [...(createdById.get(id) ?? []), ...(entry.createdDeliveryIds ?? [])]);
	}
	return { tokenRequests, posts, lists, postsById, createdById, unauthorized };
}

function redeliveredId(path: string): string {
	const match = /\/webhook_deliveries\/([^/]+)\/redeliveries/.exec(path);
	return match ? decodeURIComponent(match[1]) : path;
}

/** The input index each output item is paired to. */
export function pairedIndexes(items: OutputItem[]): Array<number | undefined> {
	return items.map((item) => {
		const paired = Array.isArray(item.pairedItem) ? item.pairedItem[0] : item.pairedItem;
		return paired?.item;
	});
}

export class E2ECase {
	private constructor(
		readonly label: string,
		readonly sandbox: Sandbox,
		readonly n8n: N8nUserFolder,
		private readonly t: TestContext,
	) {}

	/** Starts a sandbox and a new n8n user folder; both are stopped and removed when the test ends. */
	static async start(t: TestContext, label: string, sandboxOptions: SandboxOptions = {}): Promise<E2ECase> {
		const context = await suiteContext();
		const sandbox = await startSandbox({ port: 0, timeScale: 10, ...sandboxOptions });
		let n8n: N8nUserFolder;
		try {
			n8n = await N8nUserFolder.create(join(context.workDir, 'cases'), context, context.packageVersion, label);
		} catch (error) {
			await sandbox.stop();
			throw error;
		}
		const testCase = new E2ECase(label, sandbox, n8n, t);
		t.after(() => testCase.dispose());
		return testCase;
	}

	/** Imports the credential every workflow here refers to, pointing at this case's sandbox. */
	async importCredential(client: 'admin' | 'nonAdmin' | 'otherOrgAdmin' = 'admin'): Promise<void> {
		const { clientId, clientSecret } = this.sandbox.clients[client];
		await this.n8n.importCredentials([
			{
				id: CREDENTIAL_ID,
				name: CREDENTIAL_NAME,
				type: CREDENTIAL_TYPE,
				data: { baseUrl: this.sandbox.baseUrl, clientId, clientSecret },
			},
		]);
	}

	async importWorkflows(...workflows: WorkflowFile[]): Promise<void> {
		await this.n8n.importWorkflows(workflows);
	}

	/** Runs one workflow and returns the execution plus what the sandbox saw during it. */
	async execute(workflowId: string): Promise<{ execution: Execution; seen: Tally; requests: RequestLogEntry[] }> {
		const firstSeq = this.sandbox.requests.length;
		const execution = await this.n8n.execute(workflowId);
		const requests = this.sandbox.requests.slice(firstSeq);
		if (process.env.HINDSITE_E2E_VERBOSE === '1') {
			this.t.diagnostic(`${this.label}: ${workflowId} sent\n${describeRequests(requests)}`);
		}
		return { execution, seen: tally(requests), requests };
	}

	/** One line in the test log, so CI output shows what each case measured. */
	report(line: string): void {
		this.t.diagnostic(`${this.label}: ${line}`);
	}

	async dispose(): Promise<void> {
		await this.n8n.dispose({ keep: process.env.HINDSITE_E2E_KEEP === '1' });
		await this.sandbox.stop();
	}
}

/** The sandbox's request log, one line per request, for assertion messages. */
export function describeRequests(requests: RequestLogEntry[]): string {
	return requests
		.map((entry) => {
			const created = entry.createdDeliveryIds?.length ? ` created ${entry.createdDeliveryIds.join(',')}` : '';
			return `  #${entry.seq} ${entry.method} ${entry.path} -> ${entry.status ?? 'dropped'}${entry.fault ? ` (${entry.fault})` : ''}${created}`;
		})
		.join('\n');
}

/** A readable dump for assertion messages. */
export function describeExecution(execution: Execution): string {
	const { result } = execution;
	return [
		`exit ${result.code ?? result.signal} after ${result.seconds.toFixed(1)} s; error: ${execution.errorMessage ?? 'none'}`,
		`stdout (tail): ${result.stdout.slice(-2500)}`,
		`stderr (tail): ${result.stderr.slice(-1500)}`,
	].join('\n');
}
