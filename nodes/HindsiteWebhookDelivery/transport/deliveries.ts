// HINDSITE's webhook-delivery endpoints, on top of the single egress point.
import { NodeApiError } from 'n8n-workflow';
import type { INode } from 'n8n-workflow';

import { deliveryIdPathSegment } from '../helpers/deliveryId';
import { isWebhookDelivery } from '../helpers/deliveryState';
import type { DeliveryListPage, WebhookDelivery } from '../helpers/interfaces';
import type { HindsiteClient } from './index';

export const DELIVERIES_PATH = '/api/v2/webhook_deliveries';
// A safety stop for a list that never ends; the walk normally ends at an empty page or once every id is found.
export const DEFAULT_MAX_PAGES = 200;

export interface ListQuery {
	webhookId?: string;
	since?: string;
	page: number;
}

/** POST /api/v2/webhook_deliveries/{id}/redeliveries: the new delivery, exactly as HINDSITE returned it. */
export async function redeliverDelivery(
	client: HindsiteClient,
	node: INode,
	deliveryId: string,
	itemIndex: number,
): Promise<Partial<WebhookDelivery> & Record<string, unknown>> {
	const path = `${DELIVERIES_PATH}/${deliveryIdPathSegment(deliveryId)}/redeliveries`;
	const { body, statusCode } = await client.request<unknown>({
		method: 'POST',
		path,
		itemIndex,
		statusMessages: {
			404: {
				message: `Delivery ${deliveryId} was not found in your organisation`,
				description:
					'Check that the ID is a delivery ID (not a webhook or event ID) and that the credential belongs to the organisation that owns the delivery.',
			},
		},
	});
	if (typeof body !== 'object' || body === null || Array.isArray(body)) {
		throw unexpectedShape(node, 'POST', path, statusCode, itemIndex, true);
	}
	return body as Record<string, unknown>;
}

/** One page of GET /api/v2/webhook_deliveries. Rejects a body of the wrong shape rather than reading it as empty. */
export async function listDeliveriesPage(
	client: HindsiteClient,
	node: INode,
	query: ListQuery,
	itemIndex: number,
	deadline?: number,
): Promise<Array<Partial<WebhookDelivery>>> {
	const qs: Record<string, string | number> = { page: query.page };
	if (query.webhookId !== undefined) qs.webhook_id = query.webhookId;
	if (query.since !== undefined) qs.since = query.since;
	const { body, statusCode } = await client.request<DeliveryListPage>({
		method: 'GET',
		path: DELIVERIES_PATH,
		qs,
		itemIndex,
		deadline,
	});
	const deliveries = (body as Partial<DeliveryListPage> | null)?.webhook_deliveries;
	// Only the list itself is checked here; each delivery is checked where it is used, so that one odd entry does
	// not hide the others.
	if (!Array.isArray(deliveries) || !deliveries.every((d) => typeof d === 'object' && d !== null && !Array.isArray(d))) {
		throw unexpectedShape(node, 'GET', DELIVERIES_PATH, statusCode, itemIndex, false);
	}
	return deliveries;
}

/**
 * Walks the pages of one webhook's deliveries created at or after `since` until every wanted id is found or a page
 * comes back empty. Page size and `meta` are undocumented, so neither is relied on.
 */
export async function findDeliveries(
	client: HindsiteClient,
	node: INode,
	query: { webhookId: string; since: string; wanted: ReadonlySet<string>; deadline?: number },
	itemIndex: number,
	maxPages = DEFAULT_MAX_PAGES,
): Promise<Map<string, WebhookDelivery>> {
	const { webhookId, since, wanted, deadline } = query;
	const found = new Map<string, WebhookDelivery>();
	let previousIds = '';
	for (let page = 1; page <= maxPages && found.size < wanted.size; page++) {
		if (page > 1 && deadline !== undefined && Date.now() >= deadline) break;
		const deliveries = await listDeliveriesPage(client, node, { webhookId, since, page }, itemIndex, deadline);
		if (deliveries.length === 0) break;
		// A server that ignores `page` would return the same page for ever.
		const ids = deliveries.map((delivery) => delivery.id).join(',');
		if (ids === previousIds) break;
		previousIds = ids;
		for (const delivery of deliveries) {
			if (isWebhookDelivery(delivery) && wanted.has(delivery.id)) found.set(delivery.id, delivery);
		}
	}
	return found;
}

function unexpectedShape(node: INode, method: string, path: string, statusCode: number, itemIndex: number, mutating: boolean) {
	const message = `HINDSITE answered ${method} ${path} (HTTP ${statusCode}) with a body this node does not understand`;
	const description = mutating
		? 'The request was not sent again, so that nothing is done twice. Check in HINDSITE whether a new delivery was created.'
		: 'The list of deliveries did not have the documented shape. Try again later.';
	return new NodeApiError(node, { message, description, httpCode: String(statusCode) }, { message, description, itemIndex });
}
