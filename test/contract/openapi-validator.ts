/**
 * Checks responses the sandbox sent (from its request log) against sandbox/openapi-subset.yaml.
 *
 * Rules:
 * - A status the spec declares with a JSON schema for that operation (200 token, 2XX list and
 *   bulk, 201 single redelivery) must validate against that schema (ajv, JSON Schema 2020-12,
 *   formats checked). On top of the spec, delivery objects must carry all eight documented fields:
 *   the spec leaves them optional, the sandbox always sends them.
 * - A status the spec declares without a body schema (403, 404), or does not declare at all
 *   (400, 401, 405, 413, 422, 429, 5xx), must be what the sandbox means it to be: a JSON object
 *   `{ error, error_description }` with an error code that fits the status; a 401 on /api/v2 also
 *   carries `WWW-Authenticate: Bearer ... error="invalid_token"`.
 * - Deliberately broken answers are accepted only when the fault that explains them was injected:
 *   an unparsable JSON body under 'malformedJson', an HTML page under 'html' or 'tokenDown', no
 *   answer at all under 'reset' or 'dropAfterWork' (or when the client had gone away).
 */
import fs from 'node:fs';
import path from 'node:path';

import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import YAML from 'yaml';

import type { RequestLogEntry, RouteName } from '../../sandbox';

export const SPEC_PATH = path.resolve(__dirname, '../../sandbox/openapi-subset.yaml');

const COMPONENTS_ID = 'urn:hindsite:openapi-subset:components';

const OPERATIONS: Record<RouteName, { path: string; method: string }> = {
	token: { path: '/oauth/token', method: 'post' },
	list: { path: '/api/v2/webhook_deliveries', method: 'get' },
	redeliver: { path: '/api/v2/webhook_deliveries/{id}/redeliveries', method: 'post' },
	bulkRedeliver: { path: '/api/v2/webhook_deliveries/redeliveries', method: 'post' },
};

/** Error codes the sandbox uses, by status. */
const ERROR_CODES: Record<number, string[]> = {
	400: ['invalid_request'],
	401: ['invalid_token', 'invalid_client', 'unsupported_grant_type', 'invalid_request'],
	403: ['forbidden'],
	404: ['not_found'],
	405: ['method_not_allowed'],
	413: ['request_too_large'],
	422: ['invalid_request'],
	429: ['rate_limited'],
	500: ['internal_server_error'],
	502: ['bad_gateway'],
	503: ['service_unavailable'],
	504: ['gateway_timeout'],
};

export interface ContractFailure {
	seq: number;
	method: string;
	path: string;
	status: number | null;
	fault: string | null;
	problem: string;
}

export interface ContractReport {
	/** Log entries looked at. */
	checked: number;
	/** Entries whose body was validated against a schema from the spec. */
	schemaValidated: number;
	failures: ContractFailure[];
}

type Json = Record<string, unknown>;

/** Walks into parsed YAML/JSON: at(doc, 'paths', '/x', 'get') or undefined when any step is missing. */
function at(node: unknown, ...keys: string[]): unknown {
	let cur = node;
	for (const k of keys) {
		if (!cur || typeof cur !== 'object') return undefined;
		cur = (cur as Json)[k];
	}
	return cur;
}

function rewriteRefs(node: unknown): unknown {
	if (Array.isArray(node)) return node.map(rewriteRefs);
	if (node && typeof node === 'object') {
		const out: Json = {};
		for (const [k, v] of Object.entries(node)) {
			out[k] = k === '$ref' && typeof v === 'string' && v.startsWith('#/components/schemas/')
				? `${COMPONENTS_ID}#/$defs/${v.slice('#/components/schemas/'.length)}`
				: rewriteRefs(v);
		}
		return out;
	}
	return node;
}

export class OpenApiResponseValidator {
	private readonly ajv: Ajv2020;
	private readonly doc: Json;
	private readonly compiled = new Map<string, ValidateFunction>();
	private readonly errorShape: ValidateFunction;
	private readonly fullDelivery: ValidateFunction;

	constructor(specPath: string = SPEC_PATH) {
		this.doc = YAML.parse(fs.readFileSync(specPath, 'utf8')) as Json;
		this.ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
		addFormats(this.ajv);
		// OpenAPI's singular `example` is an annotation, not a JSON Schema keyword.
		this.ajv.addKeyword({ keyword: 'example', schemaType: ['string', 'number', 'boolean', 'object', 'array', 'null'] });
		this.ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(at(this.doc, 'components', 'schemas')) as Json });
		this.errorShape = this.ajv.compile({
			type: 'object',
			required: ['error', 'error_description'],
			properties: { error: { type: 'string', minLength: 1 }, error_description: { type: 'string', minLength: 1 } },
		});
		this.fullDelivery = this.ajv.compile({
			allOf: [
				{ $ref: `${COMPONENTS_ID}#/$defs/WebhookDelivery` },
				{ type: 'object', required: ['id', 'webhook_id', 'event_id', 'event_action', 'state', 'response', 'created_at', 'updated_at'] },
			],
		});
	}

	/** The response entry the spec declares for an operation and status: exact code, then NXX, then default. */
	declared(route: RouteName, status: number): { key: string; schema?: Json } | null {
		const op = OPERATIONS[route];
		const responses = at(this.doc, 'paths', op.path, op.method, 'responses') as Json | undefined;
		if (!responses) return null;
		const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
		if (!key) return null;
		return { key, schema: at(responses, key, 'content', 'application/json', 'schema') as Json | undefined };
	}

	private schemaFor(route: RouteName, key: string, schema: Json): ValidateFunction {
		const id = `${route}:${key}`;
		let fn = this.compiled.get(id);
		if (!fn) {
			fn = this.ajv.compile(rewriteRefs(schema) as Json);
			this.compiled.set(id, fn);
		}
		return fn;
	}

	private errors(fn: ValidateFunction): string {
		return this.ajv.errorsText(fn.errors, { separator: '; ' });
	}

	validate(entries: readonly RequestLogEntry[]): ContractReport {
		const report: ContractReport = { checked: 0, schemaValidated: 0, failures: [] };
		for (const entry of entries) {
			report.checked++;
			const problem = this.check(entry, report);
			if (problem) {
				report.failures.push({
					seq: entry.seq,
					method: entry.method,
					path: entry.path,
					status: entry.status,
					fault: entry.fault,
					problem,
				});
			}
		}
		return report;
	}

	private check(entry: RequestLogEntry, report: ContractReport): string | null {
		if (entry.status === null) {
			if (entry.fault === 'reset' || entry.fault === 'dropAfterWork' || entry.clientAborted) return null;
			return 'no response was sent, and no fault explains it';
		}
		const headers = entry.responseHeaders ?? {};
		const contentType = headers['content-type'] ?? '';
		const body = entry.responseBody;

		if (contentType.startsWith('text/html')) {
			if (entry.fault !== 'html' && entry.fault !== 'tokenDown') return 'an HTML body without an html or tokenDown fault';
			if (typeof body !== 'string' || !body.startsWith('<!DOCTYPE html>')) return 'the HTML error page is not an HTML document';
			if (!body.includes(`<title>${entry.status} `)) return 'the HTML error page does not name its status';
			if (entry.status < 500) return 'an HTML error page with a non-5xx status';
			return null;
		}
		if (!contentType.startsWith('application/json')) return `unexpected content type "${contentType}"`;
		if (typeof body === 'string') {
			if (entry.fault !== 'malformedJson') return 'a string body under a JSON content type without a malformedJson fault';
			try {
				JSON.parse(body);
				return 'the malformedJson fault sent a body that parses';
			} catch {
				return null;
			}
		}
		if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the JSON body is not an object';

		const declared = entry.route ? this.declared(entry.route, entry.status) : null;
		if (entry.route && declared?.schema) {
			report.schemaValidated++;
			const fn = this.schemaFor(entry.route, declared.key, declared.schema);
			if (!fn(body)) return `does not match the spec's ${declared.key} schema: ${this.errors(fn)}`;
			let deliveries: unknown[] = [];
			if (entry.route === 'redeliver') deliveries = [body];
			else if (entry.route === 'list' || entry.route === 'bulkRedeliver') {
				const items = (body as Json).webhook_deliveries;
				if (!Array.isArray(items)) return 'webhook_deliveries is missing';
				deliveries = items;
			}
			for (const d of deliveries) {
				if (!this.fullDelivery(d)) return `a delivery lacks documented fields: ${this.errors(this.fullDelivery)}`;
			}
			if (entry.route === 'token') {
				for (const k of ['access_token', 'token_type', 'expires_in', 'created_at']) {
					if (!(k in body)) return `the token response lacks ${k}`;
				}
				if ((body as Json).token_type !== 'Bearer') return 'token_type is not Bearer';
			}
			if (entry.route === 'bulkRedeliver' && !Array.isArray(at(body, 'meta', 'dropped_ids'))) {
				return 'meta.dropped_ids is not an array';
			}
			return null;
		}
		if (entry.status < 400) return `status ${entry.status} is neither declared by the spec nor an error`;
		// Declared without a body schema (403, 404) or undeclared (400, 401, 405, 413, 422, 429, 5xx).
		if (!this.errorShape(body)) return `not a sandbox error object: ${this.errors(this.errorShape)}`;
		const allowed = ERROR_CODES[entry.status];
		const code = (body as Json).error as string;
		if (!allowed) return `status ${entry.status} is not one the sandbox sends`;
		// The sandbox answers 429 and 5xx only when a test asked for it with a fault.
		if ((entry.status === 429 || entry.status >= 500) && entry.fault === null) {
			return `status ${entry.status} without an injected fault`;
		}
		if (!allowed.includes(code)) return `error "${code}" does not fit status ${entry.status}`;
		if (entry.status === 401 && entry.route !== 'token') {
			if (code !== 'invalid_token') return 'a 401 on /api/v2 whose error is not invalid_token';
			if (!/^Bearer .*error="invalid_token"/.test(headers['www-authenticate'] ?? '')) {
				return 'a 401 on /api/v2 without WWW-Authenticate: Bearer error="invalid_token"';
			}
		}
		if (headers['retry-after'] !== undefined && !/^\d+$/.test(headers['retry-after'])) return 'Retry-After is not whole seconds';
		return null;
	}
}

let shared: OpenApiResponseValidator | undefined;

/** One validator per test file (compiling the spec once). */
export function contractValidator(): OpenApiResponseValidator {
	shared ??= new OpenApiResponseValidator();
	return shared;
}

export function formatFailures(failures: readonly ContractFailure[]): string {
	return failures
		.map((f) => `#${f.seq} ${f.method} ${f.path} -> ${f.status ?? 'no answer'}${f.fault ? ` [${f.fault}]` : ''}: ${f.problem}`)
		.join('\n');
}
