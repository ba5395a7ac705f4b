// Pure rules about a delivery's lifecycle. No n8n imports, so they can be tested alone.
import type { WebhookDelivery } from './interfaces';

// The seed page: pending → in_progress → retrying → in_progress → … → completed | errored.
export const FINAL_DELIVERY_STATES: ReadonlySet<string> = new Set(['completed', 'errored']);

export function isFinalState(state: unknown): boolean {
	return typeof state === 'string' && FINAL_DELIVERY_STATES.has(state);
}

/** One readable sentence about where a delivery stands, for error messages and hints. */
export function describeOutcome(delivery: Pick<WebhookDelivery, 'id' | 'state' | 'response'>): string {
	const response = delivery.response;
	const parts: string[] = [];
	if (typeof response?.code === 'number') parts.push(`HTTP ${response.code}`);
	if (typeof response?.error === 'string' && response.error !== '') parts.push(response.error);
	const last = parts.length > 0 ? ` (last attempt: ${parts.join(', ')})` : '';
	switch (delivery.state) {
		case 'completed':
			return `Delivery ${delivery.id} completed${last}`;
		case 'errored':
			return `Delivery ${delivery.id} errored: its automatic retries are exhausted${last}`;
		default:
			return `Delivery ${delivery.id} is still ${String(delivery.state)}${last}`;
	}
}

/** True when a value has the fields the node relies on to follow a delivery. */
export function isWebhookDelivery(value: unknown): value is WebhookDelivery {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const record = value as Record<string, unknown>;
	return (
		typeof record.id === 'string' &&
		record.id !== '' &&
		typeof record.webhook_id === 'string' &&
		typeof record.state === 'string' &&
		typeof record.created_at === 'string'
	);
}
