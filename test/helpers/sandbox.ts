import { startSandbox, type RequestLogEntry, type Sandbox, type SandboxOptions } from '../../sandbox';
import { contractValidator, formatFailures, type ContractReport } from '../contract/openapi-validator';

const running = new Set<Sandbox>();
/** Every log entry of every sandbox this file started, kept across reset() and clearLog(). */
const recorded = new Map<Sandbox, RequestLogEntry[]>();

/**
 * Starts a sandbox on an ephemeral port with `timeScale: 1000` (a nominal 5 s retry delay takes
 * 5 ms) unless told otherwise, and remembers it so `stopTestSandboxes()` can stop it and
 * `validateRecordedResponses()` can check everything it answered.
 */
export async function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const entries: RequestLogEntry[] = [];
	const sandbox = await startSandbox({
		timeScale: 1000,
		...options,
		onRequest: (entry) => {
			entries.push(entry);
			options.onRequest?.(entry);
		},
	});
	running.add(sandbox);
	recorded.set(sandbox, entries);
	return sandbox;
}

/** Stops every sandbox started by `startTestSandbox` (call it in afterAll/afterEach). */
export async function stopTestSandboxes(): Promise<void> {
	const all = [...running];
	running.clear();
	await Promise.all(all.map((s) => s.stop()));
}

/**
 * Checks every response a sandbox sent against sandbox/openapi-subset.yaml (see
 * test/contract/openapi-validator.ts for the rules). For a sandbox from `startTestSandbox` this
 * covers its whole life, including entries since cleared by reset() or clearLog().
 */
export function validateRecordedResponses(sandbox: Sandbox): ContractReport {
	const report = contractValidator().validate(recorded.get(sandbox) ?? sandbox.requests);
	// A crash inside the sandbox is answered outside the request log, so it is reported here.
	for (const problem of sandbox.internalErrors) {
		report.failures.push({ seq: 0, method: '', path: '', status: 500, fault: null, problem: `the sandbox itself failed: ${problem}` });
	}
	return report;
}

/**
 * For afterAll: validates every sandbox this test file started (or the ones given) and throws a
 * readable error listing the responses that break the contract.
 */
export function expectRecordedResponsesValid(sandboxes: Sandbox[] = [...recorded.keys()]): ContractReport {
	const total: ContractReport = { checked: 0, schemaValidated: 0, failures: [] };
	for (const sandbox of sandboxes) {
		const report = validateRecordedResponses(sandbox);
		total.checked += report.checked;
		total.schemaValidated += report.schemaValidated;
		total.failures.push(...report.failures);
	}
	if (total.failures.length > 0) {
		throw new Error(`sandbox responses break the API contract:\n${formatFailures(total.failures)}`);
	}
	return total;
}
