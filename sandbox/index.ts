/**
 * A local stand-in for the HINDSITE API (OAuth token, webhook delivery list, single and bulk
 * redelivery), for the demo, the tests and the benchmark. Dev-only: never part of the package.
 */
export {
	startSandbox,
	htmlErrorPage,
	FAULT_KINDS,
	type Sandbox,
	type SandboxOptions,
	type SandboxSeed,
	type SandboxCounters,
	type Delivery,
	type RequestLogEntry,
	type FaultSpec,
	type RouteName,
	type CreateDeliveryOptions,
} from './server';
export {
	SCENARIOS,
	DELIVERY_STATES,
	TERMINAL_STATES,
	ALLOWED_TRANSITIONS,
	lifecycleAt,
	lifecycleTransitions,
	settleTime,
	resolveScenario,
	type DeliveryState,
	type DeliveryResponse,
	type Scenario,
	type ScenarioName,
} from './lifecycle';
export { SEED_CLIENTS, type ClientCredentials } from './seed';
export { UUID_V7_PATTERN } from './ids';
