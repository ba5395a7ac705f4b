/**
 * Starts the sandbox from the command line:
 *
 *   npm run sandbox -- --port 4010 [--time-scale 10] [--page-size 25] [--token-expires-in 7200]
 *
 * Prints one line of JSON (base URL, credentials, seeded ids) on stdout, then runs until
 * SIGINT (Ctrl-C) or SIGTERM.
 */
import { startSandbox, type SandboxOptions } from './index';

const USAGE =
	'usage: npm run sandbox -- [--port <n>] [--time-scale <nominal seconds per second>] [--page-size <n>] [--token-expires-in <seconds>]';

function parseArgs(argv: string[]): SandboxOptions {
	const options: SandboxOptions = { port: 4010, timeScale: 10 };
	const numeric = (name: string, value: string | undefined): number => {
		const n = Number(value);
		if (value === undefined || value === '' || !Number.isFinite(n)) throw new Error(`${name} needs a number`);
		return n;
	};
	for (let i = 0; i < argv.length; i++) {
		const [flag, inline] = argv[i].split('=', 2) as [string, string | undefined];
		const value = () => inline ?? argv[++i];
		switch (flag) {
			case '--port':
				options.port = numeric(flag, value());
				break;
			case '--time-scale':
				options.timeScale = numeric(flag, value());
				break;
			case '--page-size':
				options.pageSize = numeric(flag, value());
				break;
			case '--token-expires-in':
				options.tokenExpiresIn = numeric(flag, value());
				break;
			case '--help':
			case '-h':
				process.stdout.write(`${USAGE}\n`);
				process.exit(0);
			// falls through (process.exit does not return)
			default:
				throw new Error(`unknown argument ${argv[i]}`);
		}
	}
	return options;
}

async function main(): Promise<void> {
	let options: SandboxOptions;
	try {
		options = parseArgs(process.argv.slice(2));
	} catch (err) {
		process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
		process.exit(2);
	}
	const sandbox = await startSandbox(options);
	process.stdout.write(
		JSON.stringify({
			baseUrl: sandbox.baseUrl,
			clientId: sandbox.clients.admin.clientId,
			clientSecret: sandbox.clients.admin.clientSecret,
			nonAdmin: sandbox.clients.nonAdmin,
			otherOrgAdmin: sandbox.clients.otherOrgAdmin,
			timeScale: options.timeScale,
			deliveryIdsByState: sandbox.seed.deliveryIdsByState,
			scenarioDeliveryIds: sandbox.seed.scenarioDeliveryIds,
			otherOrgDeliveryId: sandbox.seed.otherOrgDeliveryId,
			webhookIds: sandbox.seed.webhooks.filter((w) => w.organisationId === sandbox.seed.organisations[0].id).map((w) => w.id),
		}) + '\n',
	);
	let stopping = false;
	const shutdown = (signal: NodeJS.Signals) => {
		if (stopping) return;
		stopping = true;
		sandbox.stop().then(
			() => {
				process.stderr.write(`sandbox stopped (${signal})\n`);
				process.exit(0);
			},
			() => process.exit(1),
		);
	};
	process.on('SIGINT', shutdown);
	process.on('SIGTERM', shutdown);
}

main().catch((err: unknown) => {
	process.stderr.write(`sandbox failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
	process.exit(1);
});
