import type { UuidV7 } from './ids';
import { DEFAULT_FAILURE, SUCCESS_RESPONSE, type DeliveryResponse, type DeliveryState } from './lifecycle';

export interface ClientCredentials {
	clientId: string;
	clientSecret: string;
}

export interface SeedClient extends ClientCredentials {
	organisationId: string;
	admin: boolean;
}

export interface SeedDelivery {
	id: string;
	organisationId: string;
	webhook_id: string;
	event_id: string;
	event_action: string;
	state: DeliveryState;
	response: DeliveryResponse | null;
	createdAtMs: number;
	updatedAtMs: number;
}

export type ScenarioOriginalName = 'fastSuccess' | 'slowSuccess' | 'erroredAfter3' | 'neverSettles';

export interface SeedData {
	organisations: { id: string; name: string }[];
	webhooks: { id: string; organisationId: string }[];
	clients: { admin: SeedClient; nonAdmin: SeedClient; otherOrgAdmin: SeedClient };
	deliveries: SeedDelivery[];
	scenarioDeliveryIds: Record<ScenarioOriginalName, string>;
	otherOrgDeliveryId: string;
}

/** Fixed, readable credentials: the sandbox is local and dev-only, so they are not secrets. */
export const SEED_CLIENTS = {
	admin: { clientId: 'sandbox-admin-acme', clientSecret: 'sandbox-secret-admin-acme' },
	nonAdmin: { clientId: 'sandbox-member-acme', clientSecret: 'sandbox-secret-member-acme' },
	otherOrgAdmin: { clientId: 'sandbox-admin-borealis', clientSecret: 'sandbox-secret-admin-borealis' },
} as const;

const FAILURES: DeliveryResponse[] = [
	{ ...DEFAULT_FAILURE },
	{ code: 500, error: null },
	{ code: null, error: 'dns_lookup_failed' },
	{ code: 404, error: null },
	{ code: null, error: 'failed_tls' },
	{ code: null, error: 'destination_unreachable' },
	{ code: 502, error: null },
	{ code: null, error: 'private_uri' },
	{ code: 200, error: 'response_too_large' },
	{ code: 410, error: null },
];

const SUCCESSES: DeliveryResponse[] = [{ ...SUCCESS_RESPONSE }, { code: 201, error: null }, { code: 204, error: null }];

const ACTIONS = ['form_completed', 'report_export_completed'];

/** What a frozen delivery in `state` reports as its last response. */
export function frozenResponse(state: DeliveryState, n = 0): DeliveryResponse | null {
	switch (state) {
		case 'pending':
			return null;
		case 'in_progress':
			return n % 2 === 0 ? null : { ...FAILURES[n % FAILURES.length] };
		case 'retrying':
		case 'errored':
			return { ...FAILURES[n % FAILURES.length] };
		case 'completed':
			return { ...SUCCESSES[n % SUCCESSES.length] };
	}
}

/**
 * Two organisations, an admin and a non-admin client in the first, an admin in the second,
 * several webhooks and deliveries in every state, created over the last day.
 */
export function buildSeed(ids: UuidV7, now: number): SeedData {
	const dayAgo = now - 24 * 3600_000;
	const orgA = { id: ids.next(dayAgo - 90 * 86400_000), name: 'Acme Facilities (sandbox)' };
	const orgB = { id: ids.next(dayAgo - 60 * 86400_000), name: 'Borealis Maintenance (sandbox)' };
	const webhooks = [
		{ id: ids.next(dayAgo - 30 * 86400_000), organisationId: orgA.id },
		{ id: ids.next(dayAgo - 29 * 86400_000), organisationId: orgA.id },
		{ id: ids.next(dayAgo - 28 * 86400_000), organisationId: orgA.id },
		{ id: ids.next(dayAgo - 20 * 86400_000), organisationId: orgB.id },
		{ id: ids.next(dayAgo - 19 * 86400_000), organisationId: orgB.id },
	];
	const hooksA = webhooks.filter((w) => w.organisationId === orgA.id);
	const hooksB = webhooks.filter((w) => w.organisationId === orgB.id);

	// Org A: 30 deliveries (more than one default page), states interleaved over time.
	const planA: DeliveryState[] = [];
	const counts: [DeliveryState, number][] = [
		['errored', 10],
		['completed', 10],
		['retrying', 4],
		['in_progress', 3],
		['pending', 3],
	];
	for (let round = 0; planA.length < 30; round++) {
		for (const [state, count] of counts) if (round < count) planA.push(state);
	}
	const planB: DeliveryState[] = ['errored', 'completed', 'errored', 'completed', 'errored'];

	const deliveries: SeedDelivery[] = [];
	const make = (organisationId: string, hooks: typeof webhooks, plan: DeliveryState[], offsetMinutes: number) => {
		plan.forEach((state, i) => {
			// Oldest first: the newest seeded delivery is a few minutes old.
			const createdAtMs = now - (offsetMinutes + (plan.length - i) * 37) * 60_000 + (i % 7) * 113;
			const settleMs = state === 'pending' ? 0 : state === 'in_progress' ? 1_000 : (1 + (i % 5)) * 45_000;
			deliveries.push({
				id: ids.next(createdAtMs),
				organisationId,
				webhook_id: hooks[i % hooks.length].id,
				event_id: ids.next(createdAtMs - 250),
				event_action: ACTIONS[i % ACTIONS.length],
				state,
				response: frozenResponse(state, i),
				createdAtMs,
				updatedAtMs: createdAtMs + settleMs,
			});
		});
	};
	make(orgA.id, hooksA, planA, 0);
	make(orgB.id, hooksB, planB, 11);

	const erroredA = deliveries.filter((d) => d.organisationId === orgA.id && d.state === 'errored');
	const scenarioDeliveryIds: Record<ScenarioOriginalName, string> = {
		fastSuccess: erroredA[0].id,
		slowSuccess: erroredA[1].id,
		erroredAfter3: erroredA[2].id,
		neverSettles: erroredA[3].id,
	};
	const otherOrgDeliveryId = deliveries.find((d) => d.organisationId === orgB.id && d.state === 'errored')!.id;

	return {
		organisations: [orgA, orgB],
		webhooks,
		clients: {
			admin: { ...SEED_CLIENTS.admin, organisationId: orgA.id, admin: true },
			nonAdmin: { ...SEED_CLIENTS.nonAdmin, organisationId: orgA.id, admin: false },
			otherOrgAdmin: { ...SEED_CLIENTS.otherOrgAdmin, organisationId: orgB.id, admin: true },
		},
		deliveries,
		scenarioDeliveryIds,
		otherOrgDeliveryId,
	};
}
