// Shapes of the HINDSITE API objects this node reads. Documented fields only; anything else passes through untouched.

export type DeliveryState = 'pending' | 'in_progress' | 'retrying' | 'completed' | 'errored';

export interface DeliveryResponseSummary {
	code: number | null;
	error: string | null;
}

export interface WebhookDelivery {
	id: string;
	webhook_id: string;
	event_id: string;
	event_action: string;
	// A string rather than DeliveryState: an unknown future state must not break the node.
	state: string;
	response: DeliveryResponseSummary | null;
	created_at: string;
	updated_at: string;
	[key: string]: unknown;
}

export interface DeliveryListPage {
	webhook_deliveries: WebhookDelivery[];
	meta?: Record<string, unknown>;
}
