import type { INodeProperties } from 'n8n-workflow';

import * as redeliver from './redeliver.operation';

export { redeliver };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['webhookDelivery'] } },
		options: [
			{
				name: 'Redeliver',
				value: 'redeliver',
				description: 'Send a delivery again: HINDSITE creates a new delivery for the same event',
				action: 'Redeliver a webhook delivery',
			},
		],
		default: 'redeliver',
	},
	...redeliver.description,
];
