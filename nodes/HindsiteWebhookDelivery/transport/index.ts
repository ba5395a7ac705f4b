// The single egress point: the only code that sends requests to HINDSITE. It owns the base URL (from the credential,
// so the sandbox can stand in for production), the retry rules and the mapping of failures to errors users can act on.
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleepWithAbort } from 'n8n-workflow';

import { DEFAULT_RETRY_POLICY, decideRetry, parseRetryAfterMs, type FailureFacts, type RetryPolicy } from '../helpers/retryPolicy';

export const CREDENTIAL_TYPE = 'hindsiteOAuth2Api';
export const TOKEN_PATH = '/oauth/token';
const MAX_REASON_LENGTH = 300;

export interface StatusMessage {
	message: string;
	description: string;
}

export interface ApiRequest {
	method: 'GET' | 'POST';
	/** Path below the base URL, already encoded. */
	path: string;
	qs?: IDataObject;
	body?: IDataObject;
	itemIndex: number;
	/** What to tell the user for a given HTTP status, in place of the generic message. */
	statusMessages?: Partial<Record<number, StatusMessage>>;
}

export interface ApiResponse<T> {
	statusCode: number;
	body: T;
}

export interface HindsiteClient {
	readonly baseUrl: string;
	request<T>(request: ApiRequest): Promise<ApiResponse<T>>;
}

export interface ClientOptions {
	requestTimeoutMs: number;
	retryPolicy?: RetryPolicy;
}

/** What a failed request left behind, read from n8n's wrapped error (axios below it) or the OAuth2 client's error. */
interface Failure extends FailureFacts {
	body?: unknown;
	tokenFailure: boolean;
	message: string;
}

export function normalizeBaseUrl(value: unknown): string | undefined {
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	try {
		const url = new URL(value.trim());
		if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
		return url.toString().replace(/\/+$/, '');
	} catch {
		return undefined;
	}
}

export async function createHindsiteClient(ctx: IExecuteFunctions, options: ClientOptions): Promise<HindsiteClient> {
	const credentials = await ctx.getCredentials(CREDENTIAL_TYPE);
	const baseUrl = normalizeBaseUrl(credentials.baseUrl);
	if (!baseUrl) {
		throw new NodeOperationError(ctx.getNode(), 'The credential\'s Base URL is not a valid http(s) URL', {
			description: 'Open the Hindsite OAuth2 API credential and set Base URL to https://app.hindsiteind.com (or your sandbox URL).',
		});
	}
	const policy = options.retryPolicy ?? DEFAULT_RETRY_POLICY;

	return {
		baseUrl,
		async request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
			const cancelSignal = ctx.getExecutionCancelSignal();
			for (let retriesDone = 0; ; retriesDone++) {
				const httpOptions: IHttpRequestOptions = {
					method: request.method,
					url: `${baseUrl}${request.path}`,
					qs: request.qs,
					body: request.body,
					json: true,
					returnFullResponse: true,
					timeout: options.requestTimeoutMs,
					// A redirect would resend the bearer token elsewhere; HINDSITE's API is not documented to redirect.
					disableFollowRedirect: true,
				};
				let failure: Failure;
				try {
					// n8n's OAuth2 helper fetches the token when none is stored and, on a 401, fetches a new one and sends
					// the request once more. It only does so when the 401 is thrown, so ignoreHttpStatusErrors stays off.
					const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, httpOptions)) as {
						statusCode: number;
						body: unknown;
					};
					if (isJsonValue(response.body)) {
						return { statusCode: response.statusCode, body: response.body as T };
					}
					failure = {
						method: request.method,
						status: response.statusCode,
						networkCode: 'EBADBODY',
						body: response.body,
						tokenFailure: false,
						message: 'the answer was not JSON',
					};
				} catch (error) {
					// A cancelled execution must end as cancelled, not as an API error.
					// eslint-disable-next-line @n8n/community-nodes/require-node-api-error
					if (cancelSignal?.aborted) throw error;
					failure = { ...readFailure(error, baseUrl), method: request.method };
				}

				const decision =
					failure.networkCode === 'EBADBODY'
						? // A 2xx whose body cannot be read: a GET may be read again; a POST has done its work.
							request.method === 'GET'
							? decideRetry({ method: 'GET', networkCode: 'EBADBODY' }, retriesDone, policy)
							: ({ retry: false, outcomeUnknown: true } as const)
						: failure.tokenFailure
							? ({ retry: false, outcomeUnknown: false } as const)
							: decideRetry(failure, retriesDone, policy);
				if (decision.retry) {
					ctx.logger.debug(`HINDSITE ${request.method} ${request.path}: ${decision.reason}; retrying in ${decision.delayMs} ms`);
					await sleepWithAbort(decision.delayMs, cancelSignal);
					continue;
				}
				throw toNodeApiError(ctx.getNode(), request, failure, decision.outcomeUnknown, retriesDone);
			}
		},
	};
}

function isJsonValue(body: unknown): boolean {
	// n8n's HTTP helper hands back the raw text when a body is not valid JSON.
	return body !== undefined && typeof body !== 'string';
}

function errorChain(error: unknown): Array<Record<string, unknown>> {
	const chain: Array<Record<string, unknown>> = [];
	let current: unknown = error;
	while (current && typeof current === 'object' && chain.length < 6) {
		chain.push(current as Record<string, unknown>);
		current = (current as { cause?: unknown }).cause;
	}
	return chain;
}

function readFailure(error: unknown, baseUrl: string): Failure {
	const chain = errorChain(error);
	const axiosLike = chain.find((e) => e.isAxiosError === true || (e.config !== undefined && e.response !== undefined));
	const response = axiosLike?.response as { status?: number; headers?: Record<string, unknown>; data?: unknown } | undefined;
	const config = axiosLike?.config as { url?: string } | undefined;
	// The OAuth2 client reports token endpoint answers as EAUTH (an OAuth error body) or ESTATUS (any other status).
	const oauthError = chain.find((e) => e.code === 'EAUTH' || e.code === 'ESTATUS');
	const tokenFailure = oauthError !== undefined || (config?.url ?? '').startsWith(`${baseUrl}${TOKEN_PATH}`);
	const networkCode = chain.map((e) => e.code).find((code): code is string => typeof code === 'string' && code.startsWith('E'));
	const retryAfter = response?.headers?.['retry-after'];
	const innermost = chain[chain.length - 1];
	return {
		method: '',
		status: response?.status ?? (typeof oauthError?.status === 'number' ? oauthError.status : undefined),
		networkCode: response ? undefined : networkCode,
		retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
		body: response?.data ?? oauthError?.body,
		tokenFailure,
		message: typeof innermost?.message === 'string' ? innermost.message : String(error),
	};
}

/** The API's own words for a failure, cleaned up: JSON error fields, or HTML reduced to its text, capped. */
export function apiReason(body: unknown): string | undefined {
	let text: string | undefined;
	if (body && typeof body === 'object' && !Array.isArray(body)) {
		const record = body as Record<string, unknown>;
		const fields = ['error_description', 'message', 'error', 'detail', 'title'];
		text = fields.map((field) => record[field]).find((value): value is string => typeof value === 'string' && value !== '');
		if (!text && Array.isArray(record.errors)) text = record.errors.map(String).join('; ');
	} else if (typeof body === 'string') {
		text = body.replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ').replace(/<[^>]*>/g, ' ');
	}
	if (!text) return undefined;
	const clean = text.replace(/\s+/g, ' ').trim();
	if (clean === '') return undefined;
	return clean.length > MAX_REASON_LENGTH ? `${clean.slice(0, MAX_REASON_LENGTH)}…` : clean;
}

function describeFailure(failure: Failure): string {
	if (failure.status !== undefined) return `HTTP ${failure.status}`;
	switch (failure.networkCode) {
		case 'ECONNABORTED':
		case 'ETIMEDOUT':
			return 'no answer before the request timeout';
		case 'ECONNRESET':
		case 'EPIPE':
			return 'the connection was dropped';
		case 'ECONNREFUSED':
			return 'the connection was refused';
		case 'ENOTFOUND':
		case 'EAI_AGAIN':
			return 'the host name could not be resolved';
		default:
			return failure.networkCode ?? failure.message;
	}
}

function toNodeApiError(node: INode, request: ApiRequest, failure: Failure, outcomeUnknown: boolean, retriesDone: number): NodeApiError {
	const reason = apiReason(failure.body);
	const what = describeFailure(failure);
	const httpCode = failure.status === undefined ? null : String(failure.status);
	const tried = retriesDone > 0 ? ` after ${retriesDone + 1} attempts` : '';
	let message: string;
	let description: string;

	const custom = failure.status === undefined ? undefined : request.statusMessages?.[failure.status];
	if (failure.tokenFailure) {
		message = `Could not get an access token from HINDSITE (${reason ?? what})`;
		description =
			"Check the credential's Base URL, Client ID and Client Secret. The request itself was not sent to HINDSITE.";
	} else if (custom) {
		({ message, description } = custom);
	} else if (failure.networkCode === 'EBADBODY' && request.method === 'POST') {
		message = `HINDSITE accepted ${request.method} ${request.path} (HTTP ${failure.status}) but its answer could not be read`;
		description =
			'The request was not sent again, so that nothing is done twice. Check in HINDSITE whether a new delivery was created before trying again.';
	} else if (outcomeUnknown) {
		message = `The outcome of ${request.method} ${request.path} is unknown (${what}${reason ? `: ${reason}` : ''})`;
		description =
			'HINDSITE may or may not have acted on it. It was not sent again, so that the webhook is not delivered twice. ' +
			"List the webhook's deliveries to see whether a new delivery was created before redelivering again.";
	} else if (failure.status === 401) {
		message = `HINDSITE rejected the access token (HTTP 401) for ${request.method} ${request.path}`;
		description =
			"n8n fetched a fresh token and tried once more, and that was refused too. Check that the credential's client is still active in HINDSITE.";
	} else if (failure.status === 403) {
		message = "The credential's client is not an admin in its HINDSITE organisation";
		description = 'This API needs an organisation admin\'s API client. Ask HINDSITE support for admin API credentials.';
	} else if (failure.status === 429) {
		const waitMs = parseRetryAfterMs(failure.retryAfter);
		message = `HINDSITE is rate limiting requests (HTTP 429) for ${request.method} ${request.path}${tried}`;
		description =
			(waitMs !== undefined ? `HINDSITE asked to wait ${Math.ceil(waitMs / 1000)} s. ` : '') +
			'Lower the Concurrency option, or use Retry On Fail in the node settings with a longer wait.';
	} else {
		message = `${request.method} ${request.path} failed${tried}: ${what}${reason ? ` (${reason})` : ''}`;
		description =
			failure.status !== undefined && failure.status >= 300 && failure.status < 400
				? "HINDSITE answered with a redirect. Check the credential's Base URL."
				: 'HINDSITE could not be reached or answered with an error. Try again later; check the Base URL if it persists.';
	}
	// Built from a plain object so that nothing of the request (its Authorization header) travels with the error.
	return new NodeApiError(
		node,
		{ message, description, httpCode, method: request.method, path: request.path, reason: reason ?? what },
		{ message, description, httpCode: httpCode ?? undefined, itemIndex: request.itemIndex },
	);
}
