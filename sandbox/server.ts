import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { ScaledClock } from './clock';
import { randomToken, UuidV7 } from './ids';
import {
	DELIVERY_STATES,
	lifecycleAt,
	resolveScenario,
	SCENARIOS,
	type DeliveryResponse,
	type DeliveryState,
	type ResolvedScenario,
	type Scenario,
} from './lifecycle';
import { buildSeed, frozenResponse, type ClientCredentials, type SeedClient, type SeedData } from './seed';

export interface SandboxOptions {
	/** Port on 127.0.0.1; default 0 (ephemeral). */
	port?: number;
	/** Nominal seconds per real second; default 1. Tests use 1000 so a 5 s retry delay takes 5 ms. */
	timeScale?: number;
	/** List page size; default 25. */
	pageSize?: number;
	/** Token lifetime in nominal seconds; default 7200. */
	tokenExpiresIn?: number;
	/** Scenario for redeliveries of ids that have none of their own; default SCENARIOS.fastSuccess. */
	defaultScenario?: Scenario;
	/** Most ids the bulk route accepts in one call; default 100 (a guess). */
	bulkLimit?: number;
	/**
	 * When true (the default, a guess), the list route answers 403 to non-admin clients, as it does for the
	 * redelivery routes: the docs list 403 as the list's only error and call every API client an organisation admin.
	 */
	listRequiresAdmin?: boolean;
	/**
	 * Source of the current time in ms (default Date.now). Deliveries, tokens and timestamps follow
	 * it, so a test can move time by hand; the request log's timings stay on the real clock.
	 */
	now?: () => number;
	/** Called with each request log entry once it is final (answered, dropped or reset). */
	onRequest?: (entry: RequestLogEntry) => void;
}

export interface Delivery {
	id: string;
	webhook_id: string;
	event_id: string;
	event_action: string;
	state: DeliveryState;
	response: DeliveryResponse | null;
	created_at: string;
	updated_at: string;
}

export type RouteName = 'token' | 'list' | 'redeliver' | 'bulkRedeliver';

export interface RequestLogEntry {
	seq: number;
	method: string;
	path: string;
	query: Record<string, string>;
	/** An Authorization header was sent. */
	authPresent: boolean;
	/** Client resolved from the token (api routes) or named in the form / Basic header (token route). */
	clientId: string | null;
	/** Null when the socket was dropped or reset without a response. */
	status: number | null;
	/** Name of the fault applied, if any. */
	fault: string | null;
	startedAt: number;
	durationMs: number;
	/** Parsed request body for POSTs (token form fields with client_secret masked as '***'). */
	body?: unknown;
	/** What was sent back: parsed JSON when JSON, the raw string otherwise. */
	responseBody?: unknown;
	/** Ids created by this request, even when the socket was then dropped. */
	createdDeliveryIds?: string[];
	/** Which route the request matched, or null for an unknown path. */
	route: RouteName | null;
	/** Response headers as sent (lower-case names). */
	responseHeaders?: Record<string, string>;
	/** Size of the response body in bytes. */
	responseBytes?: number;
	/** The client had gone away before the response could be written. */
	clientAborted?: boolean;
}

export interface FaultSpec {
	route: RouteName | 'any';
	kind:
		| 'latency'
		| 'status'
		| 'reset'
		| 'dropAfterWork'
		| 'slowResponse'
		| 'malformedJson'
		| 'html'
		| 'oversized'
		| 'revokeTokens'
		| 'tokenDown';
	/** For 'status' (429, 500, 502, 503, 504), 'html' (default 502) and 'tokenDown' (default 503). */
	status?: number;
	/** Sends a Retry-After header with 'status', 'html' and 'tokenDown'. */
	retryAfterSeconds?: number;
	/** For 'latency' (wait, then handle) and 'slowResponse' (handle, then wait before answering). */
	ms?: number;
	/** For 'oversized': total body size; default 5 MB. */
	bytes?: number;
	/** How many matching requests it applies to (default 1; Infinity allowed). */
	times?: number;
	/** Let this many matching requests pass first (default 0). */
	skip?: number;
	match?: (req: { method: string; path: string; query: Record<string, string> }) => boolean;
}

export const FAULT_KINDS: readonly FaultSpec['kind'][] = [
	'latency',
	'status',
	'reset',
	'dropAfterWork',
	'slowResponse',
	'malformedJson',
	'html',
	'oversized',
	'revokeTokens',
	'tokenDown',
];

export interface SandboxCounters {
	total: number;
	tokenRequests: number;
	tokensIssued: number;
	listRequests: number;
	redeliverRequests: number;
	bulkRequests: number;
	deliveriesCreated: number;
	unauthorized: number;
}

export interface SandboxSeed {
	organisations: { id: string; name: string }[];
	/** Org A's webhooks first. */
	webhooks: { id: string; organisationId: string }[];
	/** Org A deliveries by their seeded state. */
	deliveryIdsByState: Record<DeliveryState, string[]>;
	/** A delivery of org B. */
	otherOrgDeliveryId: string;
	/** Org A `errored` originals whose redeliveries follow the named scenario. */
	scenarioDeliveryIds: { fastSuccess: string; slowSuccess: string; erroredAfter3: string; neverSettles: string };
}

export interface CreateDeliveryOptions {
	webhookId?: string;
	organisation?: 'A' | 'B';
	state?: DeliveryState;
	redeliveryScenario?: Scenario;
	eventAction?: string;
}

export interface Sandbox {
	readonly baseUrl: string;
	readonly port: number;
	readonly clients: { admin: ClientCredentials; nonAdmin: ClientCredentials; otherOrgAdmin: ClientCredentials };
	readonly seed: SandboxSeed;
	createDelivery(opts?: CreateDeliveryOptions): Delivery;
	setRedeliveryScenario(originalId: string, scenario: Scenario): void;
	setDefaultScenario(scenario: Scenario): void;
	setTimeScale(timeScale: number): void;
	getDelivery(id: string): Delivery | undefined;
	injectFault(fault: FaultSpec): void;
	clearFaults(): void;
	revokeAllTokens(): void;
	/** Makes every issued token expired (as opposed to revoked). */
	expireAllTokens(): void;
	/** Issues a token directly, without the token route; lifetime in nominal seconds. */
	issueToken(clientId: string, expiresInSeconds?: number): string;
	readonly requests: RequestLogEntry[];
	/** Errors thrown by the sandbox's own code while handling a request (answered 500); empty when all is well. */
	readonly internalErrors: string[];
	counters(): SandboxCounters;
	clearLog(): void;
	reset(): void;
	stop(): Promise<void>;
}

interface StoredDelivery {
	id: string;
	organisationId: string;
	webhook_id: string;
	event_id: string;
	event_action: string;
	createdAtMs: number;
	/** Nominal clock reading at creation (scenario deliveries only). */
	createdNominal: number;
	/** The original this delivery was (transitively) redelivered from; itself for originals. */
	rootId: string;
	frozen?: { state: DeliveryState; response: DeliveryResponse | null; updatedAtMs: number };
	scenario?: ResolvedScenario;
}

interface TokenRecord {
	clientId: string;
	expiresNominal: number;
	revoked: boolean;
}

interface ActiveFault {
	spec: FaultSpec;
	remaining: number;
	skip: number;
}

interface Reply {
	status: number;
	headers?: Record<string, string>;
	json?: unknown;
	/** A non-JSON body (HTML pages). */
	raw?: { body: string; contentType: string };
	createdDeliveryIds?: string[];
}

const MAX_REQUEST_BODY = 1024 * 1024;
const DEFAULT_OVERSIZED_BYTES = 5 * 1024 * 1024;

const STATUS_ERRORS: Record<number, [string, string]> = {
	429: ['rate_limited', 'Too many requests; retry after the time given in Retry-After.'],
	500: ['internal_server_error', 'Something went wrong on our side.'],
	502: ['bad_gateway', 'The upstream server returned an invalid response.'],
	503: ['service_unavailable', 'The service is temporarily unavailable.'],
	504: ['gateway_timeout', 'The upstream server did not answer in time.'],
};

function zeroCounters(): SandboxCounters {
	return {
		total: 0,
		tokenRequests: 0,
		tokensIssued: 0,
		listRequests: 0,
		redeliverRequests: 0,
		bulkRequests: 0,
		deliveriesCreated: 0,
		unauthorized: 0,
	};
}

function errorBody(error: string, description: string): { error: string; error_description: string } {
	return { error, error_description: description };
}

export function htmlErrorPage(status: number): string {
	const title = `${status} ${http.STATUS_CODES[status] ?? 'Error'}`;
	return (
		`<!DOCTYPE html>\n<html>\n<head><title>${title}</title></head>\n<body>\n` +
		`<center><h1>${title}</h1></center>\n<hr><center>sandbox-gateway</center>\n</body>\n</html>\n`
	);
}

function parseBasic(header: string | undefined): { id: string; secret: string } | null {
	const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
	if (!m) return null;
	const decoded = Buffer.from(m[1], 'base64').toString('utf8');
	const i = decoded.indexOf(':');
	if (i < 0) return null;
	try {
		return { id: decodeURIComponent(decoded.slice(0, i)), secret: decodeURIComponent(decoded.slice(i + 1)) };
	} catch {
		return { id: decoded.slice(0, i), secret: decoded.slice(i + 1) };
	}
}

const SINGLE_REDELIVER = /^\/api\/v2\/webhook_deliveries\/([^/]+)\/redeliveries\/?$/;

function classify(method: string, path: string): { route: RouteName | null; id?: string; allowed?: string } {
	if (path === '/oauth/token') return { route: method === 'POST' ? 'token' : null, allowed: 'POST' };
	if (path === '/api/v2/webhook_deliveries' || path === '/api/v2/webhook_deliveries/') {
		return { route: method === 'GET' ? 'list' : null, allowed: 'GET' };
	}
	if (path === '/api/v2/webhook_deliveries/redeliveries' || path === '/api/v2/webhook_deliveries/redeliveries/') {
		return { route: method === 'POST' ? 'bulkRedeliver' : null, allowed: 'POST' };
	}
	const m = SINGLE_REDELIVER.exec(path);
	if (m) {
		let id = m[1];
		try {
			id = decodeURIComponent(id);
		} catch {
			/* keep the raw segment */
		}
		return { route: method === 'POST' ? 'redeliver' : null, id, allowed: 'POST' };
	}
	return { route: null };
}

class SandboxServer implements Sandbox {
	readonly internalErrors: string[] = [];
	private readonly server: http.Server;
	private readonly sockets = new Set<Socket>();
	private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
	private readonly ids = new UuidV7();
	private readonly seedData: SeedData;
	private readonly clientsById = new Map<string, SeedClient>();
	private clock: ScaledClock;
	private deliveries = new Map<string, StoredDelivery>();
	private redeliveryScenarios = new Map<string, ResolvedScenario>();
	private defaultScenario: ResolvedScenario;
	private tokens = new Map<string, TokenRecord>();
	private faults: ActiveFault[] = [];
	private log: RequestLogEntry[] = [];
	private seq = 0;
	private count: SandboxCounters = zeroCounters();
	private stopped = false;
	private stopping: Promise<void> | null = null;
	private listeningPort = 0;

	readonly clients: Sandbox['clients'];
	readonly seed: SandboxSeed;
	private readonly pageSize: number;
	private readonly tokenExpiresIn: number;
	private readonly bulkLimit: number;
	private readonly listRequiresAdmin: boolean;

	constructor(private readonly options: SandboxOptions) {
		this.pageSize = options.pageSize ?? 25;
		this.tokenExpiresIn = options.tokenExpiresIn ?? 7200;
		this.bulkLimit = options.bulkLimit ?? 100;
		this.listRequiresAdmin = options.listRequiresAdmin ?? true;
		if (!Number.isInteger(this.pageSize) || this.pageSize < 1) throw new RangeError('pageSize must be a positive integer');
		if (!(this.tokenExpiresIn > 0)) throw new RangeError('tokenExpiresIn must be positive');
		this.clock = new ScaledClock(options.timeScale ?? 1, options.now ?? Date.now);
		this.defaultScenario = resolveScenario(options.defaultScenario ?? SCENARIOS.fastSuccess);
		this.seedData = buildSeed(this.ids, (options.now ?? Date.now)());
		const c = this.seedData.clients;
		for (const client of [c.admin, c.nonAdmin, c.otherOrgAdmin]) this.clientsById.set(client.clientId, client);
		const creds = (x: SeedClient): ClientCredentials => ({ clientId: x.clientId, clientSecret: x.clientSecret });
		this.clients = { admin: creds(c.admin), nonAdmin: creds(c.nonAdmin), otherOrgAdmin: creds(c.otherOrgAdmin) };
		const orgA = this.seedData.organisations[0].id;
		const byState = Object.fromEntries(DELIVERY_STATES.map((s) => [s, [] as string[]])) as Record<DeliveryState, string[]>;
		for (const d of this.seedData.deliveries) if (d.organisationId === orgA) byState[d.state].push(d.id);
		this.seed = {
			organisations: this.seedData.organisations.map((o) => ({ ...o })),
			webhooks: this.seedData.webhooks.map((w) => ({ ...w })),
			deliveryIdsByState: byState,
			otherOrgDeliveryId: this.seedData.otherOrgDeliveryId,
			scenarioDeliveryIds: { ...this.seedData.scenarioDeliveryIds },
		};
		this.loadSeed();
		this.server = http.createServer((req, res) => {
			this.handle(req, res).catch((err: unknown) => {
				// A bug in the sandbox itself: answer 500 rather than hang the client, and keep it for the tests to fail on.
				this.internalErrors.push(`${req.method} ${req.url}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
				if (!res.headersSent && !res.destroyed) {
					const body = JSON.stringify(errorBody('internal_server_error', String(err)));
					res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
					res.end(body);
				}
			});
		});
		this.server.on('connection', (socket: Socket) => {
			this.sockets.add(socket);
			socket.on('close', () => this.sockets.delete(socket));
		});
		this.server.on('clientError', (_err, socket) => {
			if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
			else socket.destroy();
		});
	}

	listen(port: number): Promise<void> {
		return new Promise((resolve, reject) => {
			const onError = (err: Error) => reject(err);
			this.server.once('error', onError);
			this.server.listen(port, '127.0.0.1', () => {
				this.server.off('error', onError);
				this.listeningPort = (this.server.address() as AddressInfo).port;
				resolve();
			});
		});
	}

	get port(): number {
		return this.listeningPort;
	}

	get baseUrl(): string {
		return `http://127.0.0.1:${this.listeningPort}`;
	}

	get requests(): RequestLogEntry[] {
		return this.log;
	}

	// ---- state -------------------------------------------------------------------------------

	private loadSeed(): void {
		this.deliveries = new Map();
		for (const d of this.seedData.deliveries) {
			this.deliveries.set(d.id, {
				id: d.id,
				organisationId: d.organisationId,
				webhook_id: d.webhook_id,
				event_id: d.event_id,
				event_action: d.event_action,
				createdAtMs: d.createdAtMs,
				createdNominal: d.createdAtMs,
				rootId: d.id,
				frozen: { state: d.state, response: d.response ? { ...d.response } : null, updatedAtMs: d.updatedAtMs },
			});
		}
		this.redeliveryScenarios = new Map();
		for (const [name, id] of Object.entries(this.seedData.scenarioDeliveryIds)) {
			this.redeliveryScenarios.set(id, resolveScenario(SCENARIOS[name as keyof typeof SCENARIOS]));
		}
	}

	/** The delivery as the API shows it now (or, with `asCreated`, as it was the instant it was created). */
	private snapshot(d: StoredDelivery, asCreated = false): Delivery {
		let state: DeliveryState;
		let response: DeliveryResponse | null;
		let updatedAtMs: number;
		if (asCreated && !d.frozen) {
			state = 'pending';
			response = null;
			updatedAtMs = d.createdAtMs;
		} else if (d.frozen || !d.scenario) {
			state = d.frozen?.state ?? 'pending';
			response = d.frozen?.response ? { ...d.frozen.response } : null;
			updatedAtMs = d.frozen?.updatedAtMs ?? d.createdAtMs;
		} else {
			const point = lifecycleAt(d.scenario, (this.clock.nominalNow() - d.createdNominal) / 1000);
			state = point.state;
			response = point.response;
			updatedAtMs = Math.max(d.createdAtMs, Math.floor(this.clock.realAt(d.createdNominal + point.since * 1000)));
		}
		return {
			id: d.id,
			webhook_id: d.webhook_id,
			event_id: d.event_id,
			event_action: d.event_action,
			state,
			response,
			created_at: new Date(d.createdAtMs).toISOString(),
			updated_at: new Date(updatedAtMs).toISOString(),
		};
	}

	private orgOf(letter: 'A' | 'B'): string {
		return this.seedData.organisations[letter === 'A' ? 0 : 1].id;
	}

	private scenarioFor(original: StoredDelivery): ResolvedScenario {
		return (
			this.redeliveryScenarios.get(original.id) ?? this.redeliveryScenarios.get(original.rootId) ?? this.defaultScenario
		);
	}

	private redeliver(original: StoredDelivery): StoredDelivery {
		const now = this.clock.now();
		const d: StoredDelivery = {
			id: this.ids.next(now),
			organisationId: original.organisationId,
			webhook_id: original.webhook_id,
			event_id: original.event_id,
			event_action: original.event_action,
			createdAtMs: now,
			createdNominal: this.clock.nominalAt(now),
			rootId: original.rootId,
			scenario: this.scenarioFor(original),
		};
		this.deliveries.set(d.id, d);
		this.count.deliveriesCreated++;
		return d;
	}

	createDelivery(opts: CreateDeliveryOptions = {}): Delivery {
		const organisationId = this.orgOf(opts.organisation ?? 'A');
		const webhookId = opts.webhookId ?? this.seedData.webhooks.find((w) => w.organisationId === organisationId)!.id;
		const state = opts.state ?? 'errored';
		if (!DELIVERY_STATES.includes(state)) throw new RangeError(`unknown state ${state}`);
		const now = this.clock.now();
		const id = this.ids.next(now);
		const d: StoredDelivery = {
			id,
			organisationId,
			webhook_id: webhookId,
			event_id: this.ids.next(now),
			event_action: opts.eventAction ?? 'form_completed',
			createdAtMs: now,
			createdNominal: this.clock.nominalAt(now),
			rootId: id,
			frozen: { state, response: frozenResponse(state, 0), updatedAtMs: now },
		};
		this.deliveries.set(id, d);
		if (opts.redeliveryScenario) this.setRedeliveryScenario(id, opts.redeliveryScenario);
		return this.snapshot(d);
	}

	setRedeliveryScenario(originalId: string, scenario: Scenario): void {
		this.redeliveryScenarios.set(originalId, resolveScenario(scenario));
	}

	setDefaultScenario(scenario: Scenario): void {
		this.defaultScenario = resolveScenario(scenario);
	}

	setTimeScale(timeScale: number): void {
		this.clock.setTimeScale(timeScale);
	}

	getDelivery(id: string): Delivery | undefined {
		const d = this.deliveries.get(id);
		return d ? this.snapshot(d) : undefined;
	}

	injectFault(fault: FaultSpec): void {
		if (!FAULT_KINDS.includes(fault.kind)) throw new RangeError(`unknown fault kind ${String(fault.kind)}`);
		if (!['token', 'list', 'redeliver', 'bulkRedeliver', 'any'].includes(fault.route)) {
			throw new RangeError(`unknown fault route ${String(fault.route)}`);
		}
		const times = fault.times ?? 1;
		if (!(times >= 0)) throw new RangeError('fault.times must be >= 0');
		this.faults.push({ spec: { ...fault }, remaining: times, skip: fault.skip ?? 0 });
	}

	clearFaults(): void {
		this.faults = [];
	}

	revokeAllTokens(): void {
		for (const t of this.tokens.values()) t.revoked = true;
	}

	expireAllTokens(): void {
		const now = this.clock.nominalNow();
		for (const t of this.tokens.values()) t.expiresNominal = Math.min(t.expiresNominal, now);
	}

	issueToken(clientId: string, expiresInSeconds: number = this.tokenExpiresIn): string {
		if (!this.clientsById.has(clientId)) throw new RangeError(`unknown client ${clientId}`);
		const token = randomToken();
		this.tokens.set(token, { clientId, expiresNominal: this.clock.nominalNow() + expiresInSeconds * 1000, revoked: false });
		return token;
	}

	counters(): SandboxCounters {
		return { ...this.count };
	}

	clearLog(): void {
		this.log.length = 0;
	}

	reset(): void {
		this.clock = new ScaledClock(this.options.timeScale ?? 1, this.options.now ?? Date.now);
		this.defaultScenario = resolveScenario(this.options.defaultScenario ?? SCENARIOS.fastSuccess);
		this.loadSeed();
		this.tokens = new Map();
		this.faults = [];
		this.log.length = 0;
		this.seq = 0;
		this.count = zeroCounters();
	}

	stop(): Promise<void> {
		if (this.stopping) return this.stopping;
		this.stopped = true;
		for (const d of this.delays) {
			clearTimeout(d.timer);
			d.resolve();
		}
		this.delays.clear();
		this.stopping = new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			for (const s of this.sockets) s.destroy();
			this.sockets.clear();
			this.server.closeAllConnections();
		});
		return this.stopping;
	}

	// ---- HTTP --------------------------------------------------------------------------------

	private delay(ms: number): Promise<void> {
		return new Promise((resolve) => {
			if (this.stopped) return resolve();
			const entry = {
				timer: setTimeout(() => {
					this.delays.delete(entry);
					resolve();
				}, Math.max(0, ms)),
				resolve,
			};
			this.delays.add(entry);
		});
	}

	private takeFault(route: RouteName | null, info: { method: string; path: string; query: Record<string, string> }) {
		for (const f of this.faults) {
			if (f.remaining <= 0) continue;
			if (f.spec.route !== 'any' && f.spec.route !== route) continue;
			if (f.spec.match && !f.spec.match(info)) continue;
			if (f.skip > 0) {
				f.skip--;
				continue;
			}
			f.remaining--;
			return f.spec;
		}
		return null;
	}

	private readBody(req: http.IncomingMessage): Promise<Buffer | 'tooLarge'> {
		return new Promise((resolve) => {
			const chunks: Buffer[] = [];
			let size = 0;
			let tooLarge = false;
			req.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_REQUEST_BODY) tooLarge = true;
				else chunks.push(chunk);
			});
			req.on('end', () => resolve(tooLarge ? 'tooLarge' : Buffer.concat(chunks)));
			req.on('error', () => resolve(Buffer.concat(chunks)));
			req.on('close', () => resolve(tooLarge ? 'tooLarge' : Buffer.concat(chunks)));
		});
	}

	private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const startedAt = Date.now();
		const method = (req.method ?? 'GET').toUpperCase();
		const url = new URL(req.url ?? '/', 'http://127.0.0.1');
		const path = url.pathname;
		const query: Record<string, string> = {};
		for (const [k, v] of url.searchParams) query[k] = v;
		const { route, id, allowed } = classify(method, path);
		const entry: RequestLogEntry = {
			seq: ++this.seq,
			method,
			path,
			query,
			authPresent: req.headers.authorization !== undefined,
			clientId: null,
			status: null,
			fault: null,
			startedAt,
			durationMs: 0,
			route,
		};
		this.log.push(entry);
		this.count.total++;
		if (route === 'token') this.count.tokenRequests++;
		else if (route === 'list') this.count.listRequests++;
		else if (route === 'redeliver') this.count.redeliverRequests++;
		else if (route === 'bulkRedeliver') this.count.bulkRequests++;

		const fault = this.takeFault(route, { method, path, query });
		if (fault) entry.fault = fault.kind;

		if (fault?.kind === 'reset') {
			entry.durationMs = Date.now() - startedAt;
			req.socket.destroy();
			return this.done(entry);
		}

		const raw = await this.readBody(req);
		if (this.stopped || req.socket.destroyed) return this.finishDropped(entry, req);

		// Faults that answer instead of the API.
		if (fault?.kind === 'status') {
			const status = fault.status ?? 503;
			const [code, description] = STATUS_ERRORS[status] ?? ['error', http.STATUS_CODES[status] ?? 'Error'];
			return this.send(res, entry, { status, json: errorBody(code, description), headers: this.retryAfter(fault) });
		}
		if (fault?.kind === 'html' || fault?.kind === 'tokenDown') {
			const status = fault.status ?? (fault.kind === 'html' ? 502 : 503);
			return this.send(res, entry, {
				status,
				raw: { body: htmlErrorPage(status), contentType: 'text/html; charset=utf-8' },
				headers: this.retryAfter(fault),
			});
		}
		if (fault?.kind === 'revokeTokens') this.revokeAllTokens();
		if (fault?.kind === 'latency') {
			await this.delay(fault.ms ?? 0);
			if (this.stopped || req.socket.destroyed) return this.finishDropped(entry, req);
		}

		let reply: Reply;
		if (raw === 'tooLarge') {
			reply = { status: 413, json: errorBody('request_too_large', 'The request body is too large.') };
		} else if (route === null) {
			reply = allowed
				? { status: 405, headers: { allow: allowed }, json: errorBody('method_not_allowed', `Use ${allowed} on ${path}.`) }
				: { status: 404, json: errorBody('not_found', `No route matches ${method} ${path}.`) };
		} else if (route === 'token') {
			reply = this.tokenRoute(req, raw, entry);
		} else {
			reply = this.apiRoute(route, id, req, raw, query, entry);
		}
		if (reply.createdDeliveryIds) entry.createdDeliveryIds = reply.createdDeliveryIds;

		// Faults that spoil the answer after the work is done.
		if (fault?.kind === 'dropAfterWork') {
			entry.durationMs = Date.now() - startedAt;
			req.socket.destroy();
			return this.done(entry);
		}
		if (fault?.kind === 'slowResponse') {
			await this.delay(fault.ms ?? 30_000);
			if (this.stopped || req.socket.destroyed) return this.finishDropped(entry, req);
		}
		if (fault?.kind === 'malformedJson' && reply.json !== undefined) {
			const text = JSON.stringify(reply.json);
			reply = { ...reply, json: undefined, raw: { body: text.slice(0, Math.max(1, Math.floor(text.length / 2))), contentType: 'application/json; charset=utf-8' } };
		}
		if (fault?.kind === 'oversized' && reply.json !== undefined && typeof reply.json === 'object' && reply.json !== null) {
			const target = fault.bytes ?? DEFAULT_OVERSIZED_BYTES;
			const base = Buffer.byteLength(JSON.stringify({ ...(reply.json as object), padding: '' }));
			reply = { ...reply, json: { ...(reply.json as object), padding: 'x'.repeat(Math.max(0, target - base)) } };
		}
		this.send(res, entry, reply);
	}

	/** The client went away (or the sandbox stopped) before an answer could be sent. */
	private finishDropped(entry: RequestLogEntry, req: http.IncomingMessage): void {
		entry.durationMs = Date.now() - entry.startedAt;
		entry.clientAborted = true;
		req.socket.destroy();
		this.done(entry);
	}

	private done(entry: RequestLogEntry): void {
		if (!this.options.onRequest) return;
		try {
			this.options.onRequest(entry);
		} catch {
			/* an observer's failure must not break the server */
		}
	}

	private retryAfter(fault: FaultSpec): Record<string, string> | undefined {
		return fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined;
	}

	private send(res: http.ServerResponse, entry: RequestLogEntry, reply: Reply): void {
		let body: string;
		let contentType: string;
		if (reply.raw) {
			body = reply.raw.body;
			contentType = reply.raw.contentType;
			entry.responseBody = body;
		} else {
			body = JSON.stringify(reply.json ?? {});
			contentType = 'application/json; charset=utf-8';
			entry.responseBody = reply.json ?? {};
		}
		const headers: Record<string, string> = {
			'content-type': contentType,
			'content-length': String(Buffer.byteLength(body)),
			'cache-control': 'no-store',
			...(reply.headers ?? {}),
		};
		entry.status = reply.status;
		entry.responseHeaders = headers;
		entry.responseBytes = Buffer.byteLength(body);
		entry.durationMs = Date.now() - entry.startedAt;
		if (reply.status === 401) this.count.unauthorized++;
		if (res.destroyed || res.socket?.destroyed) {
			entry.clientAborted = true;
		} else {
			res.writeHead(reply.status, headers);
			res.end(body);
		}
		this.done(entry);
	}

	// ---- routes ------------------------------------------------------------------------------

	private tokenRoute(req: http.IncomingMessage, raw: Buffer, entry: RequestLogEntry): Reply {
		const text = raw.toString('utf8');
		let fields: Record<string, string> = {};
		const type = String(req.headers['content-type'] ?? '');
		if (type.includes('application/json')) {
			try {
				const parsed: unknown = JSON.parse(text);
				if (parsed && typeof parsed === 'object') {
					for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') fields[k] = v;
				}
			} catch {
				fields = {};
			}
		} else {
			for (const [k, v] of new URLSearchParams(text)) fields[k] = v;
		}
		const logged: Record<string, string> = { ...fields };
		if (logged.client_secret !== undefined) logged.client_secret = '***';
		entry.body = logged;

		const basic = parseBasic(req.headers.authorization);
		const clientId = basic?.id ?? fields.client_id;
		const secret = basic?.secret ?? fields.client_secret;
		entry.clientId = clientId ?? null;
		const client = clientId !== undefined ? this.clientsById.get(clientId) : undefined;
		if (!client || secret !== client.clientSecret) {
			return {
				status: 401,
				headers: basic ? { 'www-authenticate': 'Basic realm="HINDSITE"' } : undefined,
				json: errorBody(
					'invalid_client',
					'Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method.',
				),
			};
		}
		if (fields.grant_type !== 'client_credentials') {
			return {
				status: 401,
				json: errorBody(
					fields.grant_type ? 'unsupported_grant_type' : 'invalid_request',
					fields.grant_type
						? 'The authorization grant type is not supported by the authorization server.'
						: 'The request is missing a required parameter: grant_type.',
				),
			};
		}
		const token = this.issueToken(client.clientId);
		this.count.tokensIssued++;
		return {
			status: 200,
			headers: { pragma: 'no-cache' },
			json: {
				access_token: token,
				token_type: 'Bearer',
				expires_in: this.tokenExpiresIn,
				created_at: Math.floor(this.clock.now() / 1000),
			},
		};
	}

	private authenticate(req: http.IncomingMessage, entry: RequestLogEntry): SeedClient | string {
		const header = req.headers.authorization;
		if (header === undefined) return 'The access token is missing.';
		const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
		if (!m) return 'The Authorization header is not a Bearer token.';
		const record = this.tokens.get(m[1]);
		if (!record) return 'The access token is invalid.';
		entry.clientId = record.clientId;
		if (record.revoked) return 'The access token was revoked.';
		if (this.clock.nominalNow() >= record.expiresNominal) return 'The access token expired.';
		return this.clientsById.get(record.clientId)!;
	}

	private apiRoute(
		route: Exclude<RouteName, 'token'>,
		id: string | undefined,
		req: http.IncomingMessage,
		raw: Buffer,
		query: Record<string, string>,
		entry: RequestLogEntry,
	): Reply {
		const text = raw.toString('utf8');
		if (route !== 'list' && text.length > 0) {
			try {
				entry.body = JSON.parse(text);
			} catch {
				entry.body = text;
			}
		}
		const client = this.authenticate(req, entry);
		if (typeof client === 'string') {
			return {
				status: 401,
				headers: { 'www-authenticate': `Bearer realm="HINDSITE", error="invalid_token", error_description="${client}"` },
				json: errorBody('invalid_token', client),
			};
		}
		const forbidden: Reply = {
			status: 403,
			json: errorBody('forbidden', 'You must be an admin of the organisation to do this.'),
		};
		if (route === 'list') {
			if (this.listRequiresAdmin && !client.admin) return forbidden;
			return this.list(client, query);
		}
		if (!client.admin) return forbidden;
		if (route === 'redeliver') {
			const original = id !== undefined ? this.deliveries.get(id) : undefined;
			if (!original || original.organisationId !== client.organisationId) {
				return { status: 404, json: errorBody('not_found', 'Webhook delivery not found.') };
			}
			const created = this.redeliver(original);
			return { status: 201, json: this.snapshot(created, true), createdDeliveryIds: [created.id] };
		}
		return this.bulk(client, text);
	}

	private list(client: SeedClient, query: Record<string, string>): Reply {
		const invalid = (description: string): Reply => ({ status: 422, json: errorBody('invalid_request', description) });
		const state = query.state;
		if (state !== undefined && state !== '' && !DELIVERY_STATES.includes(state as DeliveryState)) {
			return invalid(`state must be one of ${DELIVERY_STATES.join(', ')}.`);
		}
		let sinceMs: number | undefined;
		if (query.since !== undefined && query.since !== '') {
			sinceMs = Date.parse(query.since);
			if (Number.isNaN(sinceMs)) return invalid('since must be an ISO 8601 date-time.');
		}
		let page = 1;
		if (query.page !== undefined && query.page !== '') {
			if (!/^\d+$/.test(query.page) || Number(query.page) < 1) return invalid('page must be a positive integer.');
			page = Number(query.page);
		}
		const webhookId = query.webhook_id;
		const items: { d: Delivery; createdAtMs: number }[] = [];
		for (const d of this.deliveries.values()) {
			if (d.organisationId !== client.organisationId) continue;
			if (webhookId !== undefined && webhookId !== '' && d.webhook_id !== webhookId) continue;
			if (sinceMs !== undefined && d.createdAtMs < sinceMs) continue;
			const snap = this.snapshot(d);
			if (state !== undefined && state !== '' && snap.state !== state) continue;
			items.push({ d: snap, createdAtMs: d.createdAtMs });
		}
		items.sort((a, b) => b.createdAtMs - a.createdAtMs || (a.d.id < b.d.id ? 1 : a.d.id > b.d.id ? -1 : 0));
		const total = items.length;
		const totalPages = Math.ceil(total / this.pageSize);
		const slice = items.slice((page - 1) * this.pageSize, page * this.pageSize).map((x) => x.d);
		return {
			status: 200,
			json: {
				webhook_deliveries: slice,
				meta: {
					current_page: page,
					next_page: page < totalPages ? page + 1 : null,
					per_page: this.pageSize,
					total_pages: totalPages,
					total_count: total,
				},
			},
		};
	}

	private bulk(client: SeedClient, text: string): Reply {
		let parsed: unknown;
		try {
			parsed = JSON.parse(text);
		} catch {
			return { status: 400, json: errorBody('invalid_request', 'The request body is not valid JSON.') };
		}
		const ids = (parsed as { delivery_ids?: unknown } | null)?.delivery_ids;
		if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || !Array.isArray(ids)) {
			return { status: 422, json: errorBody('invalid_request', 'delivery_ids must be an array of strings.') };
		}
		if (!ids.every((x) => typeof x === 'string')) {
			return { status: 422, json: errorBody('invalid_request', 'delivery_ids must be an array of strings.') };
		}
		if (ids.length > this.bulkLimit) {
			return { status: 422, json: errorBody('invalid_request', `delivery_ids accepts at most ${this.bulkLimit} ids.`) };
		}
		const created: Delivery[] = [];
		const dropped: string[] = [];
		const seen = new Set<string>();
		for (const id of ids as string[]) {
			if (seen.has(id)) continue;
			seen.add(id);
			const original = this.deliveries.get(id);
			if (!original || original.organisationId !== client.organisationId) {
				dropped.push(id);
				continue;
			}
			created.push(this.snapshot(this.redeliver(original), true));
		}
		return {
			status: 201,
			json: { webhook_deliveries: created, meta: { dropped_ids: dropped } },
			createdDeliveryIds: created.map((d) => d.id),
		};
	}
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const sandbox = new SandboxServer(options);
	await sandbox.listen(options.port ?? 0);
	return sandbox;
}
