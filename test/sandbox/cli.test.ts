import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

import { getToken, request } from './http';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'tsx.cmd' : 'tsx');

interface Started {
	child: ChildProcessWithoutNullStreams;
	// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the printed JSON, inspected freely
	info: Record<string, any>;
	stdout: () => string;
	stderr: () => string;
	exit: Promise<number | null>;
}

function startCli(args: string[]): Promise<Started> {
	const child = spawn(TSX, [path.join('sandbox', 'cli.ts'), ...args], { cwd: ROOT });
	let out = '';
	let err = '';
	const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
	return new Promise((resolve, reject) => {
		child.stderr.on('data', (c: Buffer) => (err += c.toString()));
		child.stdout.on('data', (c: Buffer) => {
			out += c.toString();
			const nl = out.indexOf('\n');
			if (nl >= 0) resolve({ child, info: JSON.parse(out.slice(0, nl)), stdout: () => out, stderr: () => err, exit });
		});
		void exit.then((code) => reject(new Error(`cli exited early (${code}): ${err}`)));
	});
}

describe('sandbox CLI', () => {
	const children: ChildProcessWithoutNullStreams[] = [];
	afterAll(() => {
		for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
	});

	it.each(['SIGINT', 'SIGTERM'] as const)('prints one JSON line, serves, and stops cleanly on %s', async (signal) => {
		const started = await startCli(['--port', '0', '--time-scale', '100']);
		children.push(started.child);
		const { info } = started;
		expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
		expect(info).toMatchObject({
			clientId: expect.any(String),
			clientSecret: expect.any(String),
			nonAdmin: { clientId: expect.any(String), clientSecret: expect.any(String) },
			deliveryIdsByState: {
				pending: expect.any(Array),
				in_progress: expect.any(Array),
				retrying: expect.any(Array),
				completed: expect.any(Array),
				errored: expect.any(Array),
			},
		});
		const token = await getToken(info.baseUrl, info.clientId, info.clientSecret);
		const res = await request(info.baseUrl, `/api/v2/webhook_deliveries/${info.deliveryIdsByState.errored[0]}/redeliveries`, {
			method: 'POST',
			headers: { authorization: `Bearer ${token}` },
		});
		expect(res.status).toBe(201);
		started.child.kill(signal);
		expect(await started.exit).toBe(0);
		expect(started.stdout().trim().split('\n')).toHaveLength(1);
		await expect(request(info.baseUrl, '/oauth/token', { method: 'POST' })).rejects.toThrow(/ECONNREFUSED/);
	});

	it('rejects unknown arguments', async () => {
		const child = spawn(TSX, [path.join('sandbox', 'cli.ts'), '--bogus'], { cwd: ROOT });
		children.push(child);
		let err = '';
		child.stderr.on('data', (c: Buffer) => (err += c.toString()));
		const code = await new Promise((resolve) => child.on('exit', resolve));
		expect(code).toBe(2);
		expect(err).toMatch(/unknown argument --bogus/);
	});
});
