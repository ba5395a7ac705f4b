// `npm run demo`: the package's main job, with no HINDSITE account. Builds and packs the package, installs it into a
// real n8n the way n8n's community-package installer does, starts the local sandbox, runs the error-alert example
// and prints what happened. Everything it started is stopped at the end.
//
// `npm run demo -- --editor [--port 5678]`: starts n8n's editor instead, with the package, a sandbox credential and
// the examples already there, and keeps it running until Ctrl-C.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startSandbox, type Sandbox } from '../../sandbox';
import { bindToSandbox, loadExample, loadExamples, SAMPLE_IDS } from '../e2e/examples';
import { ensureN8n, N8N_VERSION } from '../e2e/install-n8n.mjs';
import {
	CREDENTIAL_ID,
	CREDENTIAL_NAME,
	CREDENTIAL_TYPE,
	N8nUserFolder,
	type Execution,
	type RunningEditor,
} from '../e2e/n8n';
import { packAndInstallLikeN8n } from '../e2e/prepare';

/** The sandbox plays HINDSITE's clock this much faster, so retries that take half a minute take a few seconds. */
const TIME_SCALE = 10;
const EXAMPLE_FILE = 'error-alert.workflow.json';
const OWNER = { email: 'demo@example.com', password: 'Demo-password-1', firstName: 'Demo', lastName: 'User' };

interface Options {
	editor: boolean;
	port: number;
}

function parseArgs(argv: string[]): Options {
	const options: Options = { editor: false, port: 5678 };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '--editor') options.editor = true;
		else if (arg === '--port') options.port = Number(argv[++i]);
		else if (arg.startsWith('--port=')) options.port = Number(arg.slice('--port='.length));
		else if (arg === '--help' || arg === '-h') {
			say('Usage: npm run demo [-- --editor [--port 5678]]');
			process.exit(0);
		} else throw new Error(`Unknown argument ${arg}. Usage: npm run demo [-- --editor [--port 5678]]`);
	}
	if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw new Error('--port needs a port number');
	return options;
}

function say(line = ''): void {
	process.stdout.write(`${line}\n`);
}

function step(line: string): void {
	say(`- ${line}`);
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

class Resources {
	sandbox?: Sandbox;
	n8n?: N8nUserFolder;
	editor?: RunningEditor;
	workDir = mkdtempSync(join(tmpdir(), 'n8n-nodes-hindsite-demo-'));

	interrupted = false;
	private stopping?: Promise<void>;

	/** Stops everything once; every caller (a second Ctrl-C included) waits for the same, complete stop. */
	async stop(): Promise<void> {
		this.stopping ??= (async () => {
			await this.editor?.stop().catch(() => undefined);
			await this.n8n?.dispose().catch(() => undefined);
			await this.sandbox?.stop().catch(() => undefined);
			rmSync(this.workDir, { recursive: true, force: true });
		})();
		await this.stopping;
	}
}

async function setUp(resources: Resources) {
	const started = Date.now();
	const n8nRoot = ensureN8n({ log: (line) => step(line) });
	step(`n8n ${N8N_VERSION} ready (${seconds(Date.now() - started)})`);

	let mark = Date.now();
	const { installedPackageDir, version } = packAndInstallLikeN8n(join(resources.workDir, 'package'), () => undefined);
	step(`built, packed and installed n8n-nodes-hindsite ${version} as a community package (${seconds(Date.now() - mark)})`);

	resources.sandbox = await startSandbox({ port: 0, timeScale: TIME_SCALE });
	step(`sandbox HINDSITE API listening on ${resources.sandbox.baseUrl}`);

	mark = Date.now();
	resources.n8n = await N8nUserFolder.create(join(resources.workDir, 'n8n'), { n8nRoot, installedPackageDir }, version, 'demo');
	const { clientId, clientSecret } = resources.sandbox.clients.admin;
	await resources.n8n.importCredentials([
		{ id: CREDENTIAL_ID, name: CREDENTIAL_NAME, type: CREDENTIAL_TYPE, data: { baseUrl: resources.sandbox.baseUrl, clientId, clientSecret } },
	]);
	step(`n8n credential "${CREDENTIAL_NAME}" created, pointing at the sandbox (${seconds(Date.now() - mark)})`);
	return { sandbox: resources.sandbox, n8n: resources.n8n };
}

async function runDemo(resources: Resources): Promise<number> {
	const started = Date.now();
	const { sandbox, n8n } = await setUp(resources);
	const { workflow, ids } = bindToSandbox(loadExample(EXAMPLE_FILE).workflow, sandbox);
	let mark = Date.now();
	await n8n.importWorkflows([workflow]);
	step(`imported examples/${EXAMPLE_FILE} (${seconds(Date.now() - mark)})`);

	step(`running "${workflow.name}" in n8n...`);
	mark = Date.now();
	const firstRequest = sandbox.requests.length;
	const execution = await n8n.execute(workflow.id, { timeoutSeconds: 300 });
	const runSeconds = Date.now() - mark;
	const requests = sandbox.requests.slice(firstRequest);
	if (resources.interrupted) return 130;
	say();
	if (!execution.ok) {
		say(`The workflow failed: ${execution.errorMessage ?? 'no message'}`);
		say(execution.result.stdout.slice(-3000));
		say(execution.result.stderr.slice(-3000));
		return 1;
	}
	printSummary(execution, ids);
	const count = (route: string) => requests.filter((entry) => entry.route === route).length;
	say();
	const waited = Math.max(0, ...execution.output('Redeliver and wait').map((item) => Number((item.json.hindsiteWait as { waitedSeconds?: number })?.waitedSeconds ?? 0)));
	say(
		`Time: the n8n run took ${seconds(runSeconds)}, of which ${waited.toFixed(1)} s waiting for final states (the rest is n8n starting up and shutting down); ` +
			`${seconds(Date.now() - started)} in all.`,
	);
	say(
		`Requests to the HINDSITE API (the sandbox): ${requests.length} in all: ${count('token')} for an access token, ` +
			`${count('redeliver')} redeliveries, ${count('list')} state checks.`,
	);
	say(`The sandbox runs HINDSITE's clock ${TIME_SCALE}x fast, so retries that take half a minute took a few seconds.`);
	say();
	say('Next: `npm run demo -- --editor` opens this workflow in the n8n editor, with a sandbox like this one behind it.');
	return 0;
}

function printSummary(execution: Execution, ids: Map<string, string>): void {
	const roleOf = new Map([...ids].map(([sample, real]) => [real, SAMPLE_IDS[sample]?.role ?? '']));
	const reported = execution.output('Errored deliveries reported');
	const redelivered = execution.output('Redeliver and wait');
	const alerts = execution.output('Alert: still failing');
	say(`Redelivered ${redelivered.length} errored webhook deliveries and waited for each to finish:`);
	say();
	redelivered.forEach((item, index) => {
		const original = String(reported[index]?.json.deliveryId ?? '?');
		const wait = (item.json.hindsiteWait ?? {}) as { waitedSeconds?: number; polls?: number; timedOut?: boolean };
		const outcome =
			item.json.state === 'completed' ? 'recovered' : wait.timedOut ? 'still retrying, so an alert was written' : 'failed again, so an alert was written';
		const checks = wait.polls === 1 ? 'once' : `${wait.polls ?? '?'} times`;
		say(`  ${index + 1}. delivery ${original}${roleOf.get(original) ? `  [in the sandbox, ${roleOf.get(original)}]` : ''}`);
		say(`     redelivered as ${String(item.json.id)}`);
		say(`     final state: ${String(item.json.state)} (${describeResponse(item.json.response)}): ${outcome}`);
		say(`     state checked ${checks} in ${(wait.waitedSeconds ?? 0).toFixed(1)} s`);
	});
	for (const alert of alerts) {
		say();
		say('Alert the workflow wrote (connect Slack or email after "Alert: still failing" to send it):');
		say(`  ${String(alert.json.subject)}`);
		say(`  ${String(alert.json.message)}`);
	}
}

function describeResponse(value: unknown): string {
	const response = value as { code?: number | null; error?: string | null } | null | undefined;
	if (!response) return 'no answer from the receiver yet';
	if (typeof response.code === 'number') return `the receiver answered HTTP ${response.code}`;
	return `the receiver could not be reached: ${response.error ?? 'unknown error'}`;
}

async function runEditor(resources: Resources, port: number): Promise<number> {
	if (await isPortTaken(port)) {
		throw new Error(`Port ${port} is already in use. Stop what uses it, or choose another: npm run demo -- --editor --port 5680`);
	}
	const { sandbox, n8n } = await setUp(resources);
	const examples = loadExamples().map(({ workflow }) => bindToSandbox(workflow, sandbox).workflow);
	await n8n.importWorkflows(examples);
	step(`imported ${examples.length} example workflows`);
	step(`starting the n8n editor on 127.0.0.1:${port}...`);
	resources.editor = await n8n.startEditor(port);
	await resources.editor.setUpOwner(OWNER);
	const { clientId, clientSecret } = sandbox.clients.admin;
	say();
	say(`n8n is running at ${resources.editor.url}`);
	say();
	say(`  1. Open ${resources.editor.url} and sign in: ${OWNER.email} / ${OWNER.password}`);
	say(`  2. Open the workflow "${examples.find((w) => w.id === 'hsExampleAlert01')?.name ?? examples[0].name}".`);
	say('  3. Click "Execute workflow" at the bottom of the canvas. After about 10 s, click a node to see its items:');
	say('     "Redeliver and wait" shows the new deliveries and their final states, "Alert: still failing" the alert.');
	say('  The other example, "HINDSITE: redeliver a list of delivery ids", takes ids pasted by hand.');
	say();
	say(`The credential "${CREDENTIAL_NAME}" points at the sandbox ${sandbox.baseUrl}`);
	say(`(client id ${clientId}, secret ${clientSecret}). Sample delivery ids in the examples were swapped for sandbox ones.`);
	say();
	say('Press Ctrl-C to stop n8n and the sandbox.');
	await new Promise<void>((resolve) => {
		process.once('SIGINT', resolve);
		process.once('SIGTERM', resolve);
		resources.editor!.child.once('close', resolve);
	});
	say();
	step('stopping n8n and the sandbox...');
	return 0;
}

async function isPortTaken(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const server = createServer();
		server.once('error', () => resolve(true));
		server.listen(port, '127.0.0.1', () => server.close(() => resolve(false)));
	});
}

async function main(): Promise<number> {
	const options = parseArgs(process.argv.slice(2));
	const resources = new Resources();
	const interrupt = () => {
		if (options.editor && resources.editor) return; // runEditor handles it
		if (resources.interrupted) return; // npm and the terminal may both pass on one Ctrl-C
		resources.interrupted = true;
		say('\nInterrupted: stopping everything this demo started...');
		void resources.stop().then(() => process.exit(130));
	};
	process.on('SIGINT', interrupt);
	process.on('SIGTERM', interrupt);
	say(`HINDSITE webhook redelivery in a real n8n, with a local sandbox in place of HINDSITE (no account needed).`);
	say();
	try {
		return options.editor ? await runEditor(resources, options.port) : await runDemo(resources);
	} catch (error) {
		// Once interrupted, the failures of what was being stopped are not news: finish stopping and exit 130.
		if (resources.interrupted) {
			await resources.stop();
			return 130;
		}
		throw error;
	} finally {
		await resources.stop();
	}
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		process.stderr.write(`\nThe demo stopped: ${error instanceof Error ? error.message : String(error)}\n`);
		process.exit(1);
	},
);
