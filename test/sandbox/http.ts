import type { Sandbox } from '../../sandbox';
import { expectRecordedResponsesValid, startTestSandbox, stopTestSandboxes } from '../helpers/sandbox';
import http from 'node:http';

export interface HttpResult {
	status: number;
	headers: http.IncomingHttpHeaders;
	text: string;
	/** Parsed body when it is JSON, otherwise undefined (typed loosely: tests poke into it freely). */
	// eslint-disable-next-line @typescript-eslint/no-explicit-any
	json: any;
}

export interface HttpRequest {
	method?: string;
	headers?: Record<string, string>;
	body?: string | object;
	/** Abort the request (and reject) after this many ms. */
	timeoutMs?: number;
}

/** A minimal HTTP client on node:http, one connection per request (no pooled sockets left behind). */
export function request(baseUrl: string, path: string, opts: HttpRequest = {}): Promise<HttpResult> {
	const url = new URL(path, baseUrl);
	const headers: Record<string, string> = { ...(opts.headers ?? {}) };
	let payload: string | undefined;
	if (opts.body !== undefined) {
		payload = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
		if (typeof opts.body !== 'string' && !headers['content-type']) headers['content-type'] = 'application/json';
		headers['content-length'] = String(Buffer.byteLength(payload));
	}
	return new Promise((resolve, reject) => {
		const req = http.request(url, { method: opts.method ?? 'GET', headers, agent: false }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('error', reject);
			res.on('end', () => {
				const text = Buffer.concat(chunks).toString('utf8');
				let json: unknown;
				try {
					json = JSON.parse(text);
				} catch {
					json = undefined;
				}
				resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
			});
		});
		if (opts.timeoutMs !== undefined) {
			req.setTimeout(opts.timeoutMs, () => req.destroy(new Error('client timeout')));
		}
		req.on('error', reject);
		req.end(payload);
	});
}

/** Form-encoded token request with the credentials in the body, like n8n's OAuth2 client. */
export async function getToken(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
	const res = await request(baseUrl, '/oauth/token', {
		method: 'POST',
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ grant_type: 'client_credentials', scope: '', client_id: clientId, client_secret: clientSecret }).toString(),
	});
	if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${res.text}`);
	return res.json.access_token as string;
}

export function bearer(token: string): Record<string, string> {
	return { authorization: `Bearer ${token}` };
}

export function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * One sandbox for a whole test file, reset before each test with a fresh admin token; stopped after the file, and
 * every response it sent checked against the OpenAPI subset.
 */
export function useSharedSandbox(onReady: (sandbox: Sandbox, adminToken: string) => void): void {
	let sandbox: Sandbox;
	beforeAll(async () => {
		sandbox = await startTestSandbox();
	});
	beforeEach(async () => {
		sandbox.reset();
		onReady(sandbox, await getToken(sandbox.baseUrl, sandbox.clients.admin.clientId, sandbox.clients.admin.clientSecret));
	});
	afterAll(stopTestSandboxes);
	afterAll(() => expectRecordedResponsesValid());
}
