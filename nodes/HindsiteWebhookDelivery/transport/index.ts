// The single egress point: the only code that sends requests to HINDSITE. It owns the base URL (from the credential,
// so the sandbox can stand in for production), the retry rules and the mapping of failures to errors users can act on.
import type { IDataObject, IExecuteFunctions, IHttpRequestOptions, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleepWithAbort } from 'n8n-workflow';

import {
	DEFAULT_RETRY_POLICY,
	decideRetry,
	isSafeMethod,
	parseRetryAfterMs,
	type FailureFacts,
	type RetryDecision,
	type RetryPolicy,
} from '../helpers/retryPolicy';

export const CREDENTIAL_TYPE = 'hindsiteOAuth2Api';
const MAX_REASON_LENGTH = 300;
// A request is given at least this long, even when little of a wait's timeout is left.
const MIN_REQUEST_TIMEOUT_MS = 1000;

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
	/** What to tell the user for a given HTTP status with a JSON body, in place of the generic message. */
	statusMessages?: Partial<Record<number, StatusMessage>>;
	/** Epoch ms after which no retry is waited for, and which caps the request timeout. */
	deadline?: number;
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

/** What a failed request left behind. */
interface Failure extends FailureFacts {
	body?: unknown;
	/** The token request failed, so the request itself was never sent. */
	tokenFailure: boolean;
	/** A 2xx whose body was not JSON. */
	unreadableSuccess?: boolean;
	message: string;
}

type HttpAnswer =
	| { kind: 'response'; statusCode: number; headers: Record<string, unknown>; body: unknown }
	| { kind: 'thrown'; failure: Failure };

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

	const send = async (request: ApiRequest, throwOnHttpError: boolean): Promise<HttpAnswer> => {
		const httpOptions: IHttpRequestOptions = {
			method: request.method,
			url: `${baseUrl}${request.path}`,
			qs: request.qs,
			body: request.body,
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: !throwOnHttpError,
			timeout:
				request.deadline === undefined
					? options.requestTimeoutMs
					: Math.max(MIN_REQUEST_TIMEOUT_MS, Math.min(options.requestTimeoutMs, request.deadline - Date.now())),
			// A redirect would resend the bearer token elsewhere; HINDSITE's API is not documented to redirect.
			disableFollowRedirect: true,
		};
		try {
			const response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, httpOptions)) as {
				statusCode: number;
				headers?: Record<string, unknown>;
				body: unknown;
			};
			return { kind: 'response', statusCode: response.statusCode, headers: response.headers ?? {}, body: response.body };
		} catch (error) {
			// A cancelled execution must end as cancelled, not as an API error.
			// eslint-disable-next-line @n8n/community-nodes/require-node-api-error
			if (ctx.getExecutionCancelSignal()?.aborted) throw error;
			const failure = readThrownFailure(error, request.method, !throwOnHttpError);
			// n8n stores a fetched token before it sends the request. If no token is stored even now, the token request
			// is what failed (a reset, a timeout, a refusal) and the request itself was never sent.
			if (!throwOnHttpError && !failure.tokenFailure && (await storedAccessToken()) === undefined) {
				failure.tokenFailure = true;
			}
			return { kind: 'thrown', failure };
		}
	};

	const storedAccessToken = async (): Promise<string | undefined> => {
		try {
			const data = await ctx.getCredentials(CREDENTIAL_TYPE);
			const token = (data.oauthTokenData as { access_token?: unknown } | undefined)?.access_token;
			return typeof token === 'string' && token !== '' ? token : undefined;
		} catch {
			return undefined;
		}
	};

	// Requests in flight together may all meet an expired token. One at a time lets n8n refresh it; the others then
	// try the token it stored before asking for another, so one expiry costs one token request.
	let refreshQueue: Promise<unknown> = Promise.resolve();
	let refreshes = 0;
	// Set once a freshly fetched token was refused too: the client itself is refused, so no further refresh is tried.
	let refusedAfterRefresh: HttpAnswer | undefined;
	const sendAfter401 = async (request: ApiRequest): Promise<HttpAnswer> => {
		const refreshesSeen = refreshes;
		const turn = refreshQueue.then(async () => {
			if (refusedAfterRefresh) return refusedAfterRefresh;
			if (refreshes !== refreshesSeen) {
				const answer = await send(request, false);
				if (!(answer.kind === 'response' && answer.statusCode === 401)) return answer;
			}
			// n8n's OAuth2 helper fetches a new token and sends the request once more only when the 401 is thrown,
			// so send it in that mode. A 401 means the request was refused unprocessed: sending a POST again cannot
			// do anything twice.
			const answer = await send(request, true);
			refreshes++;
			if (answer.kind === 'thrown' && answer.failure.status === 401) refusedAfterRefresh = answer;
			return answer;
		});
		refreshQueue = turn.catch(() => undefined);
		return await turn;
	};

	return {
		baseUrl,
		async request<T>(request: ApiRequest): Promise<ApiResponse<T>> {
			const cancelSignal = ctx.getExecutionCancelSignal();
			for (let retriesDone = 0; ; retriesDone++) {
				// Every HTTP answer comes back as a response (status, headers, body), so that Retry-After and the API's
				// own error text can be read: n8n's wrapped errors keep neither.
				let answer = await send(request, false);
				if (answer.kind === 'response' && answer.statusCode === 401) answer = await sendAfter401(request);

				let failure: Failure;
				if (answer.kind === 'thrown') {
					failure = answer.failure;
				} else if (answer.statusCode >= 200 && answer.statusCode < 300 && isJsonValue(answer.body)) {
					return { statusCode: answer.statusCode, body: answer.body as T };
				} else {
					const retryAfter = answer.headers['retry-after'];
					failure = {
						method: request.method,
						status: answer.statusCode,
						retryAfter: retryAfter === undefined ? undefined : String(retryAfter),
						body: answer.body,
						tokenFailure: false,
						unreadableSuccess: answer.statusCode < 300,
						message: `HTTP ${answer.statusCode}`,
					};
				}

				const decision = decideFailureRetry(failure, retriesDone, policy);
				const pastDeadline = request.deadline !== undefined && decision.retry && Date.now() + decision.delayMs >= request.deadline;
				if (decision.retry && !pastDeadline) {
					ctx.logger.debug(`HINDSITE ${request.method} ${request.path}: ${decision.reason}; retrying in ${decision.delayMs} ms`);
					await sleepWithAbort(decision.delayMs, cancelSignal);
					continue;
				}
				throw toNodeApiError(ctx.getNode(), request, failure, !decision.retry && decision.outcomeUnknown, retriesDone);
			}
		},
	};
}

function decideFailureRetry(failure: Failure, retriesDone: number, policy: RetryPolicy): RetryDecision {
	// The token request failed: the request itself was never sent, and sending it again would fail the same way.
	if (failure.tokenFailure) return { retry: false, outcomeUnknown: false };
	// A 2xx whose body cannot be read: a GET may be read again; a POST has done its work.
	if (failure.unreadableSuccess) {
		return isSafeMethod(failure.method)
			? decideRetry({ method: failure.method, networkCode: 'EBADBODY' }, retriesDone, policy)
			: { retry: false, outcomeUnknown: true };
	}
	return decideRetry(failure, retriesDone, policy);
}

function isJsonValue(body: unknown): boolean {
	// n8n's HTTP helper hands back the raw text when a body is not valid JSON.
	return body !== undefined && typeof body !== 'string';
}

/**
 * Reads an error thrown by n8n's request helper. n8n wraps it in a NodeApiError that keeps only `httpCode` (an HTTP
 * status, or a code such as ECONNREFUSED or the OAuth2 client's EAUTH), its messages and, for JSON bodies,
 * `context.data`. When HTTP errors are not thrown (`httpErrorsReturned`), any HTTP status here came from the token
 * endpoint, so the request itself was never sent.
 */
function readThrownFailure(error: unknown, method: string, httpErrorsReturned: boolean): Failure {
	const wrapped = (error ?? {}) as {
		httpCode?: unknown;
		code?: unknown;
		message?: unknown;
		messages?: unknown;
		context?: { data?: unknown };
	};
	const code = String(wrapped.httpCode ?? wrapped.code ?? '');
	const texts = [wrapped.message, ...(Array.isArray(wrapped.messages) ? wrapped.messages : [])].filter(
		(text): text is string => typeof text === 'string',
	);
	const status = /^\d{3}$/.test(code) ? Number(code) : undefined;
	const oauthClientError = code === 'EAUTH' || code === 'ESTATUS';
	const networkCode = status === undefined && !oauthClientError ? networkCodeOf(code, texts) : undefined;
	return {
		method,
		status,
		networkCode,
		body: wrapped.context?.data,
		tokenFailure: oauthClientError || (httpErrorsReturned && status !== undefined),
		message: texts[texts.length - 1] ?? String(error),
	};
}

function networkCodeOf(code: string, texts: string[]): string {
	if (/^E[A-Z_]+$/.test(code)) return code;
	const joined = texts.join(' ');
	// Only codes that mean "the request may have been sent" are read from text: a retry is never based on a guess.
	if (/timeout of \d+ms exceeded/i.test(joined)) return 'ECONNABORTED';
	if (/socket hang up/i.test(joined)) return 'ECONNRESET';
	return 'EUNKNOWN';
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

	// HINDSITE's own refusals come as JSON; an HTML page (a proxy, a wrong Base URL) gets the generic message.
	const jsonBody = typeof failure.body === 'object' && failure.body !== null;
	const custom = failure.status === undefined || !jsonBody ? undefined : request.statusMessages?.[failure.status];
	if (failure.tokenFailure) {
		message = `Could not get an access token from HINDSITE (${reason ?? what})`;
		description =
			"Check the credential's Base URL, Client ID and Client Secret. The request itself was not sent to HINDSITE.";
	} else if (custom) {
		({ message, description } = custom);
	} else if (failure.unreadableSuccess && request.method === 'POST') {
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
	} else if (failure.status === 403 && jsonBody) {
		message = "The credential's client is not an admin in its HINDSITE organisation";
		description = 'This API needs an organisation admin\'s API client. Ask HINDSITE support for admin API credentials.';
	} else if (failure.status === 429) {
		const waitMs = parseRetryAfterMs(failure.retryAfter);
		message = `HINDSITE is rate limiting requests (HTTP 429) for ${request.method} ${request.path}${tried}`;
		description =
			(waitMs !== undefined ? `HINDSITE asked to wait ${Math.ceil(waitMs / 1000)} s. ` : '') +
			'Lower the Concurrency option, or run the workflow again later.';
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
