import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';

import { router } from './actions/router';
import * as webhookDelivery from './actions/webhookDelivery/WebhookDelivery.resource';

/**
 * Redelivers HINDSITE webhook deliveries and can wait for the new delivery's final state.
 *
 * Programmatic rather than declarative: waiting takes several dependent calls (the POST, then listings of the
 * webhook's deliveries until the new one is completed or errored), shared between items, bounded and cancellable.
 */
export class HindsiteWebhookDelivery implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Hindsite Webhook Delivery',
		name: 'hindsiteWebhookDelivery',
		icon: { light: 'file:hindsite.svg', dark: 'file:hindsite.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Redeliver HINDSITE webhook deliveries and wait for how they end',
		defaults: { name: 'Hindsite Webhook Delivery' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'hindsiteOAuth2Api', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Webhook Delivery', value: 'webhookDelivery' }],
				default: 'webhookDelivery',
			},
			...webhookDelivery.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
