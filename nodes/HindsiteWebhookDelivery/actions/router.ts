import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import type { ItemResult } from './interfaces';
import * as webhookDelivery from './webhookDelivery/WebhookDelivery.resource';

type Operation = (this: IExecuteFunctions, items: INodeExecutionData[]) => Promise<ItemResult[]>;

const operations: Record<string, Record<string, Operation>> = {
	webhookDelivery: { redeliver: webhookDelivery.redeliver.execute },
};

/** Runs the chosen operation and turns its per-item results into output: one item per input, always paired. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const run = operations[resource]?.[operation];
	if (!run) {
		throw new NodeOperationError(this.getNode(), `The operation "${operation}" of "${resource}" is not supported`);
	}

	const results = await run.call(this, items);
	const continueOnFail = this.continueOnFail();
	const output: INodeExecutionData[] = [];
	results.forEach((result, itemIndex) => {
		const pairedItem = { item: itemIndex };
		if ('json' in result) {
			output.push({ json: result.json, pairedItem });
		} else if ('error' in result) {
			if (!continueOnFail) throw result.error;
			const { message, description } = result.error as Error & { description?: string | null };
			const httpCode = (result.error as { httpCode?: string | null }).httpCode;
			output.push({
				json: { error: message, ...(description ? { description } : {}), ...(httpCode ? { httpCode } : {}) },
				error: result.error as INodeExecutionData['error'],
				pairedItem,
			});
		}
	});
	return [output];
}
