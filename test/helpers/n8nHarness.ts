/**
 * Runs the node inside n8n-core's own ExecuteContext: parameters and expressions are resolved by n8n, and
 * httpRequestWithAuthentication is n8n's, so the OAuth2 client-credentials flow (fetch a token when none is stored,
 * fetch a new one and retry once on 401) is the real one, talking HTTP to the sandbox. Only the credential storage
 * (n8n's database) is replaced, by an in-memory store that counts what n8n writes into it.
 */
import { ExecuteContext } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialsExpressionResolveValues,
	IDataObject,
	IExecuteData,
	INode,
	INodeExecutionData,
	INodeParameters,
	INodeType,
	INodeTypes,
	IRunExecutionData,
	IWorkflowExecuteAdditionalData,
	NodeParameterValueType,
} from 'n8n-workflow';
import { Workflow } from 'n8n-workflow';

import { HindsiteOAuth2Api } from '../../credentials/HindsiteOAuth2Api.credentials';
import { HindsiteWebhookDelivery } from '../../nodes/HindsiteWebhookDelivery/HindsiteWebhookDelivery.node';

export const NODE_TYPE = 'n8n-nodes-hindsite.hindsiteWebhookDelivery';
export const CREDENTIAL_TYPE = 'hindsiteOAuth2Api';

/** Stands in for n8n's credentials database: holds one credential and records every token n8n stores in it. */
export class CredentialStore {
	readonly tokenWrites: IDataObject[] = [];

	constructor(public data: ICredentialDataDecryptedObject) {}

	static forSandbox(baseUrl: string, client: { clientId: string; clientSecret: string }): CredentialStore {
		return new CredentialStore({ baseUrl, clientId: client.clientId, clientSecret: client.clientSecret });
	}

	get storedAccessToken(): string | undefined {
		return (this.data.oauthTokenData as IDataObject | undefined)?.access_token as string | undefined;
	}

	helper() {
		const credentialType = new HindsiteOAuth2Api();
		return {
			getParentTypes: (name: string) => (name === CREDENTIAL_TYPE ? ['oAuth2Api'] : []),
			getDecrypted: async (
				_additionalData: IWorkflowExecuteAdditionalData,
				_nodeCredentials: unknown,
				type: string,
				mode: string,
				_executeData?: IExecuteData,
				_raw?: boolean,
				resolve?: ICredentialsExpressionResolveValues,
			): Promise<ICredentialDataDecryptedObject> => {
				if (type !== CREDENTIAL_TYPE) throw new Error(`No credential of type ${type} in this test`);
				// As n8n does: the type's defaults under the stored data, then expressions resolved with $self = the data.
				const merged: ICredentialDataDecryptedObject = {};
				for (const property of credentialType.properties) merged[property.name] = property.default as never;
				Object.assign(merged, JSON.parse(JSON.stringify(this.data)));
				for (const [key, value] of Object.entries(merged)) {
					if (typeof value === 'string' && value.startsWith('=') && resolve) {
						merged[key] = resolve.workflow.expression.getComplexParameterValue(
							resolve.node,
							value,
							mode as never,
							{},
							undefined,
							undefined,
							merged,
						) as NodeParameterValueType as never;
					}
				}
				return merged;
			},
			updateCredentialsOauthTokenData: async (
				_nodeCredentials: unknown,
				_type: string,
				data: ICredentialDataDecryptedObject,
			): Promise<void> => {
				this.data.oauthTokenData = data.oauthTokenData;
				this.tokenWrites.push(data.oauthTokenData as IDataObject);
			},
			async updateCredentials(): Promise<void> {},
			async authenticate(_credentials: unknown, _type: string, requestOptions: unknown) {
				return requestOptions;
			},
			async preAuthentication() {
				return undefined;
			},
			async getCredentials() {
				throw new Error('not used by the node');
			},
			getCredentialsProperties: () => credentialType.properties,
		};
	}
}

export interface RunOptions {
	parameters: INodeParameters;
	items?: IDataObject[];
	credentials: CredentialStore;
	/** n8n's node setting "On Error": stop, or continue with error items on the regular or the error output. */
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
	abortSignal?: AbortSignal;
	/** n8n's node setting "Retry On Fail". */
	retryOnFail?: boolean;
}

const nodeType = new HindsiteWebhookDelivery();
const nodeTypes: INodeTypes = {
	getByName: () => nodeType as INodeType,
	getByNameAndVersion: () => nodeType as INodeType,
	getKnownTypes: () => ({}),
};

/**
 * n8n-core's ExecuteContext pulls an SSH connection manager from its DI container, which starts a one-minute cleanup
 * interval meant for a long-lived n8n process. Unref it so a test process can exit when its work is done.
 */
function releaseLongLivedTimers(): void {
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { Container } = require('@n8n/di') as { Container: { get(type: unknown): unknown } };
	// eslint-disable-next-line @typescript-eslint/no-require-imports
	const { SSHClientsManager } = require('n8n-core/dist/execution-engine/ssh-clients-manager') as { SSHClientsManager: unknown };
	(Container.get(SSHClientsManager) as { cleanupTimer?: NodeJS.Timeout }).cleanupTimer?.unref();
}

/** Executes the node once, as n8n would for one run of a workflow, and returns its output. */
export async function runNode(options: RunOptions): Promise<INodeExecutionData[][]> {
	const items: INodeExecutionData[] = (options.items ?? [{}]).map((json) => ({ json }));
	const node: INode = {
		id: 'e1f0a2b3-0000-4000-8000-000000000001',
		name: 'Hindsite Webhook Delivery',
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters,
		credentials: { [CREDENTIAL_TYPE]: { id: 'cred-1', name: 'Hindsite sandbox' } },
		onError: options.onError ?? 'stopWorkflow',
		retryOnFail: options.retryOnFail,
	};
	const workflow = new Workflow({ id: 'wf-1', nodes: [node], connections: {}, active: false, nodeTypes });
	const workflowNode = workflow.getNode(node.name)!;
	const additionalData = {
		credentialsHelper: options.credentials.helper(),
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1/rest',
		instanceBaseUrl: 'http://127.0.0.1/',
		formWaitingBaseUrl: 'http://127.0.0.1/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1/webhook-test',
		variables: {},
		executeWorkflow: async () => {
			throw new Error('not used');
		},
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('not used');
		},
	} as unknown as IWorkflowExecuteAdditionalData;
	const runExecutionData: IRunExecutionData = { resultData: { runData: {} } } as IRunExecutionData;
	const executeData: IExecuteData = { node: workflowNode, data: { main: [items] }, source: null };
	const context = new ExecuteContext(
		workflow,
		workflowNode,
		additionalData,
		'manual',
		runExecutionData,
		0,
		items,
		{ main: [items] },
		executeData,
		[],
		options.abortSignal,
	);
	releaseLongLivedTimers();
	return await nodeType.execute.call(context);
}
