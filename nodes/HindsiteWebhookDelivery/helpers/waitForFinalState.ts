// Polls the list endpoint until redeliveries reach a final state. There is no single-delivery GET, so a delivery's
// state is read by listing its webhook's deliveries created at or after its created_at. Deliveries of one webhook
// that wait together share each round: one listing (plus extra pages) serves all of them.
// No n8n imports: the listing and the abortable sleep are passed in.
import { mapInOrder } from './concurrency';
import { isFinalState } from './deliveryState';
import type { WebhookDelivery } from './interfaces';

export interface Waiter<K> {
	key: K;
	/** The delivery as the redelivery POST returned it. */
	delivery: WebhookDelivery;
	pollIntervalMs: number;
	timeoutMs: number;
}

export interface WaitOutcome {
	/** The last state seen: from the latest listing that contained it, else the POST's answer. */
	delivery: WebhookDelivery;
	final: boolean;
	timedOut: boolean;
	polls: number;
	waitedMs: number;
	/** Set when the state could not be read (the listing failed after its retries). */
	error?: unknown;
}

export interface WaitDependencies {
	/**
	 * Deliveries of `webhookId` created at or after `since`, walking pages until every wanted id is found or a page is
	 * empty. Returns those found. Work past `deadline` (epoch ms) is not started, so no wait outlasts its timeout.
	 */
	findDeliveries(
		webhookId: string,
		since: string,
		wanted: ReadonlySet<string>,
		deadline: number,
	): Promise<Map<string, WebhookDelivery>>;
	/** Listings in flight at once, one per webhook (default: all webhooks of a round at once). */
	maxParallelListings?: number;
	/** Sleeps, and rejects at once when the execution is cancelled. */
	sleep(ms: number): Promise<void>;
	now(): number;
	/** Errors that must end the whole wait (the execution was cancelled) rather than one webhook's waiters. */
	isCancellation?(error: unknown): boolean;
}

interface Tracked<K> {
	waiter: Waiter<K>;
	last: WebhookDelivery;
	polls: number;
	deadline: number;
}

// `since` is compared with created_at at whatever precision HINDSITE stores; asking from a second earlier keeps a
// delivery whose created_at was rounded in its JSON inside the window.
export const SINCE_MARGIN_MS = 1000;

/** The `since` for a group: a second before the earliest created_at (left as it is when it cannot be read). */
export function sinceFor(createdAts: string[]): string {
	const earliest = createdAts.reduce((min, value) => (Date.parse(value) < Date.parse(min) ? value : min));
	const ms = Date.parse(earliest);
	return Number.isNaN(ms) ? earliest : new Date(ms - SINCE_MARGIN_MS).toISOString();
}

export async function waitForFinalStates<K>(
	waiters: ReadonlyArray<Waiter<K>>,
	deps: WaitDependencies,
): Promise<Map<K, WaitOutcome>> {
	const started = deps.now();
	const outcomes = new Map<K, WaitOutcome>();
	let active: Array<Tracked<K>> = [];

	const settle = (tracked: Tracked<K>, extra: Partial<WaitOutcome> = {}) => {
		outcomes.set(tracked.waiter.key, {
			delivery: tracked.last,
			final: isFinalState(tracked.last.state),
			timedOut: false,
			polls: tracked.polls,
			waitedMs: deps.now() - started,
			...extra,
		});
	};

	for (const waiter of waiters) {
		const tracked = { waiter, last: waiter.delivery, polls: 0, deadline: started + Math.max(0, waiter.timeoutMs) };
		if (isFinalState(waiter.delivery.state)) settle(tracked);
		else active.push(tracked);
	}

	let lastRound = started;
	while (active.length > 0) {
		const interval = Math.min(...active.map((t) => Math.max(1, t.waiter.pollIntervalMs)));
		const deadline = Math.min(...active.map((t) => t.deadline));
		await deps.sleep(Math.max(0, Math.min(lastRound + interval, deadline) - deps.now()));
		lastRound = deps.now();

		const byWebhook = new Map<string, Array<Tracked<K>>>();
		for (const tracked of active) {
			const group = byWebhook.get(tracked.last.webhook_id) ?? [];
			group.push(tracked);
			byWebhook.set(tracked.last.webhook_id, group);
		}
		const groups = [...byWebhook];
		const listings = await mapInOrder(
			groups,
			async ([webhookId, group]) => {
				const wanted = new Set(group.map((t) => t.waiter.delivery.id));
				const since = sinceFor(group.map((t) => t.waiter.delivery.created_at));
				const groupDeadline = Math.max(...group.map((t) => t.deadline));
				return await deps.findDeliveries(webhookId, since, wanted, groupDeadline);
			},
			{ concurrency: deps.maxParallelListings ?? Math.max(1, groups.length) },
		);
		groups.forEach(([, group], position) => {
			const listing = listings[position];
			for (const tracked of group) {
				tracked.polls++;
				if (listing.status === 'fulfilled') {
					const seen = listing.value.get(tracked.waiter.delivery.id);
					if (seen) tracked.last = seen;
				} else if (listing.status === 'rejected' && deps.now() < tracked.deadline) {
					// Past its deadline a waiter simply times out below; before it, the failure is reported.
					settle(tracked, { error: listing.reason });
				}
			}
		});
		// A cancelled execution must end as cancelled, not as one more per-item error.
		const cancelled = listings.find((l) => l.status === 'rejected' && deps.isCancellation?.(l.reason));
		if (cancelled?.status === 'rejected') throw cancelled.reason;

		const now = deps.now();
		active = active.filter((tracked) => {
			if (outcomes.has(tracked.waiter.key)) return false;
			if (isFinalState(tracked.last.state)) {
				settle(tracked);
				return false;
			}
			if (now >= tracked.deadline) {
				settle(tracked, { timedOut: true });
				return false;
			}
			return true;
		});
	}
	return outcomes;
}
