import type { IDisplayOptions, INodeProperties } from 'n8n-workflow';

/** Scopes an operation's fields to it. Written here rather than imported so that older n8n versions load the node. */
export function updateDisplayOptions(displayOptions: IDisplayOptions, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, ...displayOptions.show },
		},
	}));
}
