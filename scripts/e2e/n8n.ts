// Drives a real n8n from the command line: one user folder per case, credentials and workflows imported with n8n's
// own import commands, workflows run with `n8n execute`, the editor started with `n8n start`.
// Shared by the end-to-end suite (test/e2e) and `npm run demo`.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PACKAGE_NAME = 'n8n-nodes-hindsite';
export const NODE_TYPE = `${PACKAGE_NAME}.hindsiteWebhookDelivery`;
export const CREDENTIAL_TYPE = 'hindsiteOAuth2Api';
/** The credential id and name every example workflow refers to, so an imported credential binds to them. */
export const CREDENTIAL_ID = 'hindsiteCred0001';
export const CREDENTIAL_NAME = 'HINDSITE account';

/** A fixed key, so credentials imported by one command can be decrypted by the next. Test data only. */
const ENCRYPTION_KEY = 'hindsite-e2e-not-a-secret-0123456789';

export interface CredentialFile {
	id: string;
	name: string;
	type: string;
	data: Record<string, unknown>;
}

export interface WorkflowFile {
	id: string;
	name: string;
	nodes: Array<Record<string, unknown>>;
	connections: Record<string, unknown>;
	[key: string]: unknown;
}

export interface CommandResult {
	code: number | null;
	signal: NodeJS.Signals | null;
	stdout: string;
	stderr: string;
	seconds: number;
}

export interface OutputItem {
	json: Record<string, unknown>;
	pairedItem?: { item: number; input?: number } | Array<{ item: number; input?: number }>;
}

export interface NodeRun {
	error?: { message?: string; description?: string; [key: string]: unknown };
	data?: { main?: Array<OutputItem[] | null> };
	executionStatus?: string;
}

/** What `n8n execute --rawOutput` prints: the finished run, as n8n stores it. */
export interface ExecutionRun {
	status?: string;
	finished?: boolean;
	data: {
		resultData: {
			runData: Record<string, NodeRun[]>;
			lastNodeExecuted?: string;
			error?: { message?: string; description?: string; node?: { name?: string }; [key: string]: unknown };
		};
	};
}

export interface Execution {
	/** True when n8n exited 0 and reported no error. */
	ok: boolean;
	result: CommandResult;
	run?: ExecutionRun;
	/** The message of the error that failed the execution, if any. */
	errorMessage?: string;
	/** Items the named node sent on an output (0 = the first). */
	output(nodeName: string, outputIndex?: number): OutputItem[];
	/** Whether the named node ran at all. */
	ran(nodeName: string): boolean;
}

export interface N8nPaths {
	/** The folder holding node_modules/n8n (see install-n8n.mjs). */
	n8nRoot: string;
	/** This package, unpacked and installed the way n8n's community-package installer leaves it. */
	installedPackageDir: string;
	/** A `.n8n` folder whose database is already migrated; copied into each new user folder to save ~10 s. */
	templateDotN8n?: string;
}

/** A port nobody listens on right now, for n8n's task broker or its editor. */
// Ports this process has handed out: never handed out twice, so an n8n's task broker and an editor cannot collide.
const portsHandedOut = new Set<number>();

export async function freePort(): Promise<number> {
	for (let attempt = 0; attempt < 20; attempt++) {
		const port = await ephemeralPort();
		if (!portsHandedOut.has(port)) {
			portsHandedOut.add(port);
			return port;
		}
	}
	throw new Error('no free port found');
}

async function ephemeralPort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.unref();
		server.on('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			const port = typeof address === 'object' && address ? address.port : 0;
			server.close(() => resolve(port));
		});
	});
}

export function quietN8nEnv(): Record<string, string> {
	return {
		N8N_ENCRYPTION_KEY: ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'true',
		N8N_HIRING_BANNER_ENABLED: 'false',
		DB_SQLITE_POOL_SIZE: '2',
		N8N_RUNNERS_MODE: 'internal',
		N8N_SECURE_COOKIE: 'false',
	};
}

/** Lays this package into `<userFolder>/.n8n/nodes` exactly where n8n's community-package installer puts it. */
export function installPackageInto(userFolder: string, installedPackageDir: string, version: string): void {
	const nodesDir = join(userFolder, '.n8n', 'nodes');
	const target = join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(join(nodesDir, 'node_modules'), { recursive: true });
	cpSync(installedPackageDir, target, { recursive: true });
	writeFileSync(
		join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: version } }, null, 2),
	);
}

/** Parses the run that `n8n execute --rawOutput` prints between n8n's own log lines. */
export function parseRawOutput(stdout: string): ExecutionRun | undefined {
	const lines = stdout.split('\n');
	const start = lines.findIndex((line) => line.startsWith('{'));
	if (start < 0) return undefined;
	for (let end = start; end < lines.length; end++) {
		if (!lines[end].startsWith('}')) continue;
		try {
			return JSON.parse(lines.slice(start, end + 1).join('\n')) as ExecutionRun;
		} catch {
			// A nested closing brace at column 0 is not possible in pretty-printed JSON, but keep looking anyway.
		}
	}
	return undefined;
}

function toExecution(result: CommandResult): Execution {
	const run = parseRawOutput(result.stdout);
	const runError = run?.data?.resultData?.error;
	const errorMessage =
		runError?.message ??
		(result.code === 0 ? undefined : lastMeaningfulLine(result.stderr) ?? lastMeaningfulLine(result.stdout));
	const runsOf = (nodeName: string) => run?.data?.resultData?.runData?.[nodeName] ?? [];
	return {
		ok: result.code === 0 && !runError,
		result,
		run,
		errorMessage,
		ran: (nodeName) => runsOf(nodeName).length > 0,
		output(nodeName, outputIndex = 0) {
			return runsOf(nodeName).flatMap((nodeRun) => nodeRun.data?.main?.[outputIndex] ?? []);
		},
	};
}

function lastMeaningfulLine(text: string): string | undefined {
	return text
		.split('\n')
		.map((line) => line.trim())
		.filter(Boolean)
		.pop();
}

export class N8nUserFolder {
	readonly env: NodeJS.ProcessEnv;

	private readonly children = new Set<ChildProcess>();
	/** Every process group started here, kept after its leader exits: a task runner may outlive n8n. */
	private readonly groups = new Set<ChildProcess>();

	private constructor(
		readonly dir: string,
		private readonly paths: N8nPaths,
	) {
		// n8n settings of the surrounding shell (another database, queue mode, custom folders) must not reach a folder
		// that is meant to be fresh.
		const inherited = Object.fromEntries(
			Object.entries(process.env).filter(([name]) => !/^(N8N_|DB_|QUEUE_|EXECUTIONS_|GENERIC_|WEBHOOK_URL$)/.test(name)),
		);
		this.env = {
			...inherited,
			...quietN8nEnv(),
			N8N_USER_FOLDER: dir,
		};
		// The parent may run under tsx or a test runner; n8n must start as a plain node process.
		delete this.env.NODE_OPTIONS;
		delete this.env.NODE_TEST_CONTEXT;
	}

	/** A new, empty n8n user folder under `parentDir`, with this package installed as a community package. */
	static async create(parentDir: string, paths: N8nPaths, packageVersion: string, label = 'case'): Promise<N8nUserFolder> {
		mkdirSync(parentDir, { recursive: true });
		const dir = mkdtempSync(join(parentDir, `${label.replace(/[^a-z0-9-]+/gi, '-')}-`));
		if (paths.templateDotN8n) {
			cpSync(paths.templateDotN8n, join(dir, '.n8n'), { recursive: true });
		}
		installPackageInto(dir, paths.installedPackageDir, packageVersion);
		return new N8nUserFolder(dir, paths);
	}

	/** Runs one n8n CLI command to completion. */
	/** Starts n8n with `args` in its own process group, remembered so that dispose() can stop it. */
	private async spawnN8n(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ChildProcess> {
		// Each n8n opens a task broker: a port picked just before the start leaves little time for another listener
		// to take it.
		const env = { ...this.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()), ...extraEnv };
		const child = track(
			spawn(process.execPath, [join(this.paths.n8nRoot, 'node_modules', 'n8n', 'bin', 'n8n'), ...args], {
				cwd: this.dir,
				env,
				stdio: ['ignore', 'pipe', 'pipe'],
				detached: true,
			}),
		);
		this.children.add(child);
		this.groups.add(child);
		return child;
	}

	async run(args: string[], { timeoutSeconds = 120 } = {}): Promise<CommandResult> {
		const started = Date.now();
		const child = await this.spawnN8n(args);
		let stdout = '';
		let stderr = '';
		child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
		const timer = setTimeout(() => killGroup(child, 'SIGKILL'), timeoutSeconds * 1000);
		const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
			child.on('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal])),
		);
		clearTimeout(timer);
		this.children.delete(child);
		return { code, signal, stdout, stderr, seconds: (Date.now() - started) / 1000 };
	}

	private async runOrThrow(args: string[]): Promise<CommandResult> {
		const result = await this.run(args);
		if (result.code !== 0) {
			throw new Error(
				`n8n ${args.join(' ')} exited with ${result.code ?? result.signal}:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`,
			);
		}
		return result;
	}

	async importCredentials(credentials: CredentialFile[]): Promise<CommandResult> {
		const file = join(this.dir, 'credentials.json');
		writeFileSync(file, JSON.stringify(credentials, null, 2));
		return await this.runOrThrow(['import:credentials', `--input=${file}`]);
	}

	/** Imports all workflows with one n8n command (each n8n command costs a few seconds of start-up). */
	async importWorkflows(workflows: WorkflowFile[]): Promise<CommandResult> {
		const folder = join(this.dir, 'workflows-to-import');
		rmSync(folder, { recursive: true, force: true });
		mkdirSync(folder, { recursive: true });
		for (const workflow of workflows) {
			writeFileSync(join(folder, `${workflow.id}.json`), JSON.stringify(workflow, null, 2));
		}
		return await this.runOrThrow(['import:workflow', '--separate', `--input=${folder}`]);
	}

	async execute(workflowId: string, { timeoutSeconds = 120 } = {}): Promise<Execution> {
		return toExecution(await this.run(['execute', `--id=${workflowId}`, '--rawOutput'], { timeoutSeconds }));
	}

	/** Starts n8n's editor and resolves once its REST API answers. */
	async startEditor(port: number, host = '127.0.0.1'): Promise<RunningEditor> {
		const child = await this.spawnN8n(['start'], {
			N8N_PORT: String(port),
			N8N_LISTEN_ADDRESS: host,
			N8N_HOST: host,
			N8N_PROTOCOL: 'http',
		});
		const editor = new RunningEditor(child, `http://${host}:${port}`, () => this.children.delete(child));
		await editor.waitUntilReady();
		return editor;
	}

	/** Stops whatever this folder started and deletes the folder. */
	async dispose({ keep = false } = {}): Promise<void> {
		for (const child of this.groups) killGroup(child, 'SIGKILL');
		this.children.clear();
		this.groups.clear();
		if (!keep) rmSync(this.dir, { recursive: true, force: true });
	}
}

export class RunningEditor {
	log = '';

	private cookie = '';

	private exited: Promise<void>;

	private hasExited = false;

	constructor(
		readonly child: ChildProcess,
		readonly url: string,
		private readonly onExit: () => void,
	) {
		child.stdout?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
		child.stderr?.on('data', (chunk: Buffer) => (this.log += chunk.toString()));
		this.exited = new Promise((resolve) =>
			child.on('close', () => {
				this.hasExited = true;
				this.onExit();
				resolve();
			}),
		);
	}

	async waitUntilReady(timeoutSeconds = 90): Promise<void> {
		const deadline = Date.now() + timeoutSeconds * 1000;
		while (Date.now() < deadline) {
			if (this.hasExited) throw new Error(`n8n stopped while starting:\n${this.log.slice(-3000)}`);
			try {
				const response = await fetch(`${this.url}/rest/settings`);
				if (response.status === 200) return;
			} catch {
				// Not listening yet.
			}
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		throw new Error(`n8n did not answer on ${this.url} within ${timeoutSeconds} s:\n${this.log.slice(-3000)}`);
	}

	/** Creates the owner account the editor otherwise asks for on first load. */
	async setUpOwner(owner: { email: string; password: string; firstName: string; lastName: string }): Promise<void> {
		const response = await fetch(`${this.url}/rest/owner/setup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify(owner),
		});
		if (response.status !== 200) {
			throw new Error(`Setting up the n8n owner failed with ${response.status}: ${(await response.text()).slice(0, 500)}`);
		}
	}

	/** Signs in and keeps the session cookie for api(). */
	async login(user: { email: string; password: string }): Promise<void> {
		const response = await fetch(`${this.url}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ emailOrLdapLoginId: user.email, password: user.password }),
		});
		if (response.status !== 200) throw new Error(`Signing in to n8n failed with ${response.status}: ${(await response.text()).slice(0, 500)}`);
		this.cookie = response.headers
			.getSetCookie()
			.map((cookie) => cookie.split(';')[0])
			.join('; ');
	}

	/** A request to n8n as the signed-in user. */
	async api(path: string, init: { method?: string; body?: unknown } = {}): Promise<Response> {
		return await fetch(`${this.url}${path}`, {
			method: init.method ?? 'GET',
			headers: {
				...(this.cookie ? { cookie: this.cookie } : {}),
				...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
			},
			body: init.body === undefined ? undefined : JSON.stringify(init.body),
		});
	}

	/** SIGTERM, as n8n expects, then SIGKILL if it lingers. */
	async stop(graceSeconds = 10): Promise<void> {
		if (this.hasExited) return;
		killGroup(this.child, 'SIGTERM');
		const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), graceSeconds * 1000);
		await this.exited;
		clearTimeout(timer);
	}
}

/** Every n8n process started here and not yet ended, so none outlives this process (see the exit hook below). */
const liveChildren = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
	liveChildren.add(child);
	child.once('close', () => liveChildren.delete(child));
	return child;
}

process.once('exit', () => {
	for (const child of liveChildren) killGroup(child, 'SIGKILL');
});

/** Stops a test file or script on Ctrl-C or SIGTERM in a way that still runs the exit hook above. */
export function exitOnSignals(): void {
	for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
}

/** Signals the process group that `detached: true` gave the child, so n8n's task runners go with it. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	// Even when the leader has exited its task runner may not have, so the group is signalled either way.
	if (child.pid === undefined) return;
	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}
