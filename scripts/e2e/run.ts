// `npm run test:e2e`: prepares n8n and the packed package once, then runs every test/e2e/*.e2e.ts case with node's
// test runner, one file at a time. Extra arguments go to the test runner, e.g.
//   npm run test:e2e -- --test-name-pattern="blank"
// HINDSITE_E2E_KEEP=1 keeps the work folder (user folders, packed tarball) for inspection; HINDSITE_E2E_VERBOSE=1
// prints every request the sandbox received.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { prepare, REPO_ROOT } from './prepare';

export const CONTEXT_ENV = 'HINDSITE_E2E_CONTEXT';

async function main(): Promise<number> {
	const started = Date.now();
	const workDir = mkdtempSync(join(tmpdir(), 'n8n-nodes-hindsite-e2e-'));
	const keep = process.env.HINDSITE_E2E_KEEP === '1';
	const say = (line: string) => process.stdout.write(`[e2e] ${line}\n`);
	let child: ReturnType<typeof spawn> | undefined;
	const stop = (signal: NodeJS.Signals) => {
		if (child?.pid) {
			try {
				process.kill(-child.pid, signal);
			} catch {
				// Already gone.
			}
		}
	};
	process.on('SIGINT', () => stop('SIGINT'));
	process.on('SIGTERM', () => stop('SIGTERM'));
	try {
		say('preparing: n8n, the packed package and an empty n8n database');
		const prepared = await prepare(workDir, { log: say });
		say(
			`prepared in ${Math.round((Date.now() - started) / 1000)} s ` +
				`(n8n ${prepared.timings.n8nInstall} s, pack + install ${prepared.timings.packAndInstall} s, ` +
				`database ${prepared.timings.databaseTemplate} s)`,
		);

		const testDir = join(REPO_ROOT, 'test', 'e2e');
		const files = readdirSync(testDir)
			.filter((name) => name.endsWith('.e2e.ts'))
			.sort()
			.map((name) => join(testDir, name));
		// A hung n8n must fail its case, not hang CI: no case takes anywhere near 5 minutes.
		const args = [
			'--import',
			'tsx',
			'--test',
			'--test-concurrency=1',
			'--test-timeout=300000',
			'--test-reporter=spec',
			...process.argv.slice(2),
			...files,
		];
		child = spawn(process.execPath, args, {
			cwd: REPO_ROOT,
			stdio: 'inherit',
			detached: true,
			env: { ...process.env, [CONTEXT_ENV]: JSON.stringify({ ...prepared, workDir }) },
		});
		const code = await new Promise<number>((resolve) => child!.on('close', (exitCode) => resolve(exitCode ?? 1)));
		say(`finished in ${Math.round((Date.now() - started) / 1000)} s with exit code ${code}`);
		return code;
	} finally {
		if (keep) say(`kept the work folder ${workDir}`);
		else rmSync(workDir, { recursive: true, force: true });
	}
}

main().then(
	(code) => process.exit(code),
	(error: unknown) => {
		process.stderr.write(`[e2e] ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
		process.exit(1);
	},
);
