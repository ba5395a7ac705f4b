import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleepWithAbort } from 'n8n-workflow';

import { mapInOrder, type Settled } from '../../helpers/concurrency';
import { checkDeliveryId } from '../../helpers/deliveryId';
import { describeOutcome, isWebhookDelivery } from '../../helpers/deliveryState';
import type { WebhookDelivery } from '../../helpers/interfaces';
import { waitForFinalStates, type WaitOutcome, type Waiter } from '../../helpers/waitForFinalState';
import { createHindsiteClient } from '../../transport';
import { findDeliveries, redeliverDelivery } from '../../transport/deliveries';
import { updateDisplayOptions } from '../common.descriptions';
import type { ItemResult } from '../interfaces';

export const DEFAULT_POLL_INTERVAL_SECONDS = 5;
export const DEFAULT_WAIT_TIMEOUT_SECONDS = 300;
export const MAX_WAIT_TIMEOUT_SECONDS = 24 * 60 * 60;
export const DEFAULT_CONCURRENCY = 5;
export const MAX_CONCURRENCY = 20;
export const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
export const MIN_POLL_INTERVAL_SECONDS = 0.1;

const properties: INodeProperties[] = [
	{
		displayName: 'Delivery ID',
		name: 'deliveryId',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'e.g. 01946a36-84da-7c1e-9f3a-5b2d1c0e4f68',
		hint: 'Usually an expression that reads the ID from the incoming item, such as {{ $json.id }}',
		description:
			'ID of the delivery to send again. HINDSITE creates a new delivery for the same event; the original stays as it was.',
	},
	{
		displayName: 'Wait for Final State',
		name: 'waitForFinalState',
		type: 'boolean',
		default: false,
		description:
			'Whether to wait until the new delivery is completed or errored before continuing. An errored delivery is output like any other; branch on its state.',
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		default: DEFAULT_POLL_INTERVAL_SECONDS,
		typeOptions: { minValue: MIN_POLL_INTERVAL_SECONDS, numberPrecision: 1 },
		displayOptions: { show: { waitForFinalState: [true] } },
		description:
			'How often to check the new delivery. Deliveries of the same webhook that wait together share each check.',
	},
	{
		displayName: 'Timeout (Seconds)',
		name: 'timeout',
		type: 'number',
		default: DEFAULT_WAIT_TIMEOUT_SECONDS,
		typeOptions: { minValue: 0, maxValue: MAX_WAIT_TIMEOUT_SECONDS },
		displayOptions: { show: { waitForFinalState: [true] } },
		description:
			"The longest to wait for a final state. HINDSITE's automatic retries can run for hours; the wait stops here either way.",
	},
	{
		displayName: 'On Timeout',
		name: 'onTimeout',
		type: 'options',
		default: 'error',
		displayOptions: { show: { waitForFinalState: [true] } },
		options: [
			{
				name: 'Error',
				value: 'error',
				description: 'Fail the item with an error naming the delivery and its last state',
			},
			{
				name: 'Return Last State',
				value: 'returnLastState',
				description: 'Output the last known delivery, with hindsiteWait.timedOut set to true',
			},
		],
		description: 'What to do when the timeout passes before the new delivery reaches a final state',
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add option',
		default: {},
		options: [
			{
				displayName: 'Concurrency',
				name: 'concurrency',
				type: 'number',
				default: DEFAULT_CONCURRENCY,
				typeOptions: { minValue: 1, maxValue: MAX_CONCURRENCY },
				description:
					'How many redeliveries to send at once (read from the first item). The output keeps the input order.',
			},
			{
				displayName: 'Error If Delivery Errored',
				name: 'errorOnErroredState',
				type: 'boolean',
				default: false,
				displayOptions: { show: { '/waitForFinalState': [true] } },
				description:
					'Whether a new delivery that ends errored becomes an error instead of an output item, for workflows that route failures to the error output. Applies when waiting.',
			},
			{
				displayName: 'Request Timeout (Seconds)',
				name: 'requestTimeout',
				type: 'number',
				default: DEFAULT_REQUEST_TIMEOUT_SECONDS,
				typeOptions: { minValue: 1, maxValue: 300 },
				description:
					'How long one HTTP request may take (read from the first item). A redelivery that times out is not sent again: its outcome is unknown.',
			},
		],
	},
];

const displayOptions = { show: { resource: ['webhookDelivery'], operation: ['redeliver'] } };

export const description = updateDisplayOptions(displayOptions, properties);

interface RedeliverPlan {
	itemIndex: number;
	deliveryId: string;
	wait?: { pollIntervalMs: number; timeoutMs: number; onTimeout: 'error' | 'returnLastState'; errorOnErrored: boolean };
}

function readPlan(ctx: IExecuteFunctions, itemIndex: number): RedeliverPlan {
	const node = ctx.getNode();
	const check = checkDeliveryId(ctx.getNodeParameter('deliveryId', itemIndex, ''));
	if (!check.ok) {
		throw new NodeOperationError(node, `Item ${itemIndex}: ${check.reason}`, {
			itemIndex,
			description:
				'Nothing was sent for this item. Set Delivery ID to the id of a HINDSITE webhook delivery, for example {{ $json.id }}, and check that the incoming item has that field.',
		});
	}
	const plan: RedeliverPlan = { itemIndex, deliveryId: check.id };
	if (ctx.getNodeParameter('waitForFinalState', itemIndex, false) !== true) return plan;

	const pollInterval = ctx.getNodeParameter('pollInterval', itemIndex, DEFAULT_POLL_INTERVAL_SECONDS) as number;
	const timeout = ctx.getNodeParameter('timeout', itemIndex, DEFAULT_WAIT_TIMEOUT_SECONDS) as number;
	const onTimeout = ctx.getNodeParameter('onTimeout', itemIndex, 'error') as string;
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	if (typeof pollInterval !== 'number' || !Number.isFinite(pollInterval) || pollInterval < MIN_POLL_INTERVAL_SECONDS) {
		throw new NodeOperationError(node, `Item ${itemIndex}: Poll Interval must be at least ${MIN_POLL_INTERVAL_SECONDS} seconds`, {
			itemIndex,
			description: `It is ${JSON.stringify(pollInterval)}. Nothing was sent for this item.`,
		});
	}
	if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout < 0 || timeout > MAX_WAIT_TIMEOUT_SECONDS) {
		throw new NodeOperationError(
			node,
			`Item ${itemIndex}: Timeout must be a number of seconds from 0 to ${MAX_WAIT_TIMEOUT_SECONDS}`,
			{ itemIndex, description: `It is ${JSON.stringify(timeout)}. Nothing was sent for this item.` },
		);
	}
	if (onTimeout !== 'error' && onTimeout !== 'returnLastState') {
		throw new NodeOperationError(node, `Item ${itemIndex}: On Timeout must be "error" or "returnLastState"`, {
			itemIndex,
			description: `It is ${JSON.stringify(onTimeout)}. Nothing was sent for this item.`,
		});
	}
	plan.wait = {
		pollIntervalMs: Math.round(pollInterval * 1000),
		timeoutMs: Math.round(timeout * 1000),
		onTimeout,
		errorOnErrored: options.errorOnErroredState === true,
	};
	return plan;
}

function readBatchOption(ctx: IExecuteFunctions, name: string, fallback: number, min: number, max: number): number {
	const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
	const value = options[name];
	if (typeof value !== 'number' || !Number.isFinite(value)) return fallback;
	return Math.min(max, Math.max(min, value));
}

function waitResult(ctx: IExecuteFunctions, plan: RedeliverPlan, created: WebhookDelivery, outcome: WaitOutcome): ItemResult {
	const node = ctx.getNode();
	const { itemIndex } = plan;
	const wait = plan.wait!;
	const last = outcome.delivery;
	if (outcome.error !== undefined) {
		const cause = outcome.error as Partial<NodeApiError>;
		const message = `Delivery ${created.id} (a redelivery of ${plan.deliveryId}) was created, but its state could not be read: ${cause.message ?? String(outcome.error)}`;
		const description = `${cause.description ?? ''} The redelivery itself went through; do not redeliver ${plan.deliveryId} again before checking its state.`.trim();
		const httpCode = typeof cause.httpCode === 'string' ? cause.httpCode : undefined;
		return { error: new NodeApiError(node, { message, description, httpCode: httpCode ?? null }, { message, description, httpCode, itemIndex }) };
	}
	if (outcome.timedOut && wait.onTimeout === 'error') {
		return {
			error: new NodeOperationError(
				node,
				`Delivery ${created.id} (a redelivery of ${plan.deliveryId}) did not reach a final state within ${wait.timeoutMs / 1000} s: it was last ${last.state}`,
				{
					itemIndex,
					description: `${describeOutcome(last)}. HINDSITE keeps retrying it on its own. Raise Timeout, or set On Timeout to "Return Last State" to continue with the last known state.`,
				},
			),
		};
	}
	if (outcome.final && last.state === 'errored' && wait.errorOnErrored) {
		return {
			error: new NodeOperationError(node, `${describeOutcome(last)} (a redelivery of ${plan.deliveryId})`, {
				itemIndex,
				description:
					'The redelivery was made, but the receiving endpoint did not accept it. Check the endpoint, then redeliver again. Turn off "Error If Delivery Errored" to output errored deliveries as items instead.',
			}),
		};
	}
	return {
		json: {
			...last,
			hindsiteWait: {
				finalState: outcome.final,
				timedOut: outcome.timedOut,
				polls: outcome.polls,
				waitedSeconds: Math.round(outcome.waitedMs) / 1000,
			},
		},
	};
}

function describeCreated(plans: RedeliverPlan[], created: Array<Settled<Record<string, unknown>>>): string {
	return plans
		.map((plan, position) => {
			const settled = created[position];
			return settled.status === 'fulfilled' ? `item ${plan.itemIndex} (${plan.deliveryId} → ${String(settled.value.id)})` : '';
		})
		.filter(Boolean)
		.join(', ');
}

/**
 * Redelivers each item's delivery. Runs as a batch so that requests can overlap (bounded, output in input order) and
 * so that deliveries waiting together share polling rounds.
 */
export async function execute(this: IExecuteFunctions, items: INodeExecutionData[]): Promise<ItemResult[]> {
	const stopOnError = !this.continueOnFail();
	const node = this.getNode();
	const results: ItemResult[] = items.map(() => ({ skipped: true }));
	if (node.retryOnFail === true) {
		// n8n's Retry On Fail runs the whole node again, which would POST every item again, including the ones already
		// redelivered and the ones whose outcome is unknown: the customer's webhooks would go out twice.
		throw new NodeOperationError(node, 'Turn off "Retry On Fail" for this node', {
			description:
				'Retrying would send every redelivery of the batch again and deliver webhooks twice. Nothing was sent. The node already retries what is safe to retry (rate limits, refused connections, reading states).',
		});
	}

	const plans: RedeliverPlan[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			plans.push(readPlan(this, itemIndex));
		} catch (error) {
			results[itemIndex] = { error: error as Error };
			// Without Continue On Fail the node fails on a bad item: fail before anything at all is sent.
			if (stopOnError) return results;
		}
	}
	if (plans.length === 0) return results;

	const client = await createHindsiteClient(this, {
		requestTimeoutMs:
			readBatchOption(this, 'requestTimeout', DEFAULT_REQUEST_TIMEOUT_SECONDS, 1, 300) * 1000,
	});
	const concurrency = readBatchOption(this, 'concurrency', DEFAULT_CONCURRENCY, 1, MAX_CONCURRENCY);
	const cancelSignal = this.getExecutionCancelSignal();
	const created = await mapInOrder(
		plans,
		async (plan) => await redeliverDelivery(client, node, plan.deliveryId, plan.itemIndex),
		{ concurrency, firstAlone: true, stopOnRejection: stopOnError },
	);
	if (cancelSignal?.aborted) {
		throw new NodeOperationError(node, 'The execution was cancelled while redeliveries were being sent', {
			description: `Redeliveries created before it stopped: ${describeCreated(plans, created) || 'none'}.`,
		});
	}
	const failed = created.some((settled) => settled.status === 'rejected');
	if (failed && stopOnError) {
		// The node is about to fail, and n8n will show no output: say what was already redelivered.
		const firstError = created.find((settled) => settled.status === 'rejected') as { reason: Error & { description?: string | null } };
		const done = describeCreated(plans, created);
		if (done) {
			firstError.reason.description = `${firstError.reason.description ?? ''} Already redelivered in this run, do not redeliver these again: ${done}.`.trim();
		}
	}

	const waiters: Array<Waiter<number>> = [];
	plans.forEach((plan, position) => {
		const settled = created[position];
		if (settled.status === 'rejected') {
			results[plan.itemIndex] = { error: settled.reason as Error };
		} else if (settled.status === 'fulfilled') {
			if (plan.wait && !isWebhookDelivery(settled.value)) {
				results[plan.itemIndex] = {
					error: new NodeOperationError(
						node,
						`Delivery ${plan.deliveryId} was redelivered, but HINDSITE's answer lacks the fields needed to follow it`,
						{
							itemIndex: plan.itemIndex,
							description: `The answer was ${JSON.stringify(settled.value).slice(0, 300)}. Do not redeliver it again; check its state in HINDSITE.`,
						},
					),
				};
			} else if (plan.wait) {
				waiters.push({
					key: position,
					delivery: settled.value as WebhookDelivery,
					pollIntervalMs: plan.wait.pollIntervalMs,
					timeoutMs: plan.wait.timeoutMs,
				});
			} else {
				results[plan.itemIndex] = { json: settled.value as IDataObject };
			}
		}
	});
	if (waiters.length === 0 || (stopOnError && failed)) return results;

	const outcomes = await waitForFinalStates(waiters, {
		findDeliveries: async (webhookId, since, wanted, deadline) => {
			const first = waiters.find((w) => wanted.has(w.delivery.id));
			const itemIndex = first ? plans[first.key].itemIndex : 0;
			return await findDeliveries(client, node, { webhookId, since, wanted, deadline }, itemIndex);
		},
		maxParallelListings: concurrency,
		sleep: async (ms) => await sleepWithAbort(ms, cancelSignal),
		now: () => Date.now(),
		isCancellation: () => cancelSignal?.aborted === true,
	});
	for (const waiter of waiters) {
		const plan = plans[waiter.key];
		results[plan.itemIndex] = waitResult(this, plan, waiter.delivery, outcomes.get(waiter.key)!);
	}
	return results;
}
