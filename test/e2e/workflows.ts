// Small workflows for the cases: Manual Trigger → "Delivery ids" (one item per id) → our node, "Redeliver".
import { CREDENTIAL_ID, CREDENTIAL_NAME, CREDENTIAL_TYPE, NODE_TYPE, type WorkflowFile } from '../../scripts/e2e/n8n';

export const TRIGGER = 'Start';
export const IDS_NODE = 'Delivery ids';
export const REDELIVER_NODE = 'Redeliver';

export interface RedeliverWorkflowOptions {
	/** n8n wants a fixed id to import and execute a workflow by. */
	id: string;
	name: string;
	/** One input item per entry, as `{ id }`. */
	ids: string[];
	/** Parameters of the Redeliver node on top of resource, operation and deliveryId. */
	parameters?: Record<string, unknown>;
	/** The node setting "On Error: Continue" (n8n's continueOnFail). */
	continueOnFail?: boolean;
}

export function redeliverWorkflow({ id, name, ids, parameters = {}, continueOnFail = false }: RedeliverWorkflowOptions): WorkflowFile {
	return {
		id,
		name,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			{ id: `${id}-1`, name: TRIGGER, type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: `${id}-2`,
				name: IDS_NODE,
				type: 'n8n-nodes-base.code',
				typeVersion: 2,
				position: [220, 0],
				parameters: { jsCode: `return ${JSON.stringify(ids)}.map((id) => ({ json: { id } }));` },
			},
			{
				id: `${id}-3`,
				name: REDELIVER_NODE,
				type: NODE_TYPE,
				typeVersion: 1,
				position: [440, 0],
				parameters: {
					resource: 'webhookDelivery',
					operation: 'redeliver',
					deliveryId: '={{ $json.id }}',
					...parameters,
				},
				credentials: { [CREDENTIAL_TYPE]: { id: CREDENTIAL_ID, name: CREDENTIAL_NAME } },
				...(continueOnFail ? { onError: 'continueRegularOutput' } : {}),
			},
		],
		connections: {
			[TRIGGER]: { main: [[{ node: IDS_NODE, type: 'main', index: 0 }]] },
			[IDS_NODE]: { main: [[{ node: REDELIVER_NODE, type: 'main', index: 0 }]] },
		},
	};
}
