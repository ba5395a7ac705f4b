// Pure helper: run async work over a list with bounded concurrency, keeping results in input order.

export interface MapInOrderOptions {
	/** Tasks in flight at once (at least 1). */
	concurrency: number;
	/**
	 * Finish the first task before starting the others. The first request of a run fetches the OAuth2 token; running
	 * it alone means one token request per run instead of one per parallel request.
	 */
	firstAlone?: boolean;
	/** Once a task has failed, start no further task (those in flight finish; the rest are 'skipped'). */
	stopOnRejection?: boolean;
}

export type Settled<R> = { status: 'fulfilled'; value: R } | { status: 'rejected'; reason: unknown } | { status: 'skipped' };

export async function mapInOrder<T, R>(
	inputs: readonly T[],
	worker: (input: T, position: number) => Promise<R>,
	options: MapInOrderOptions,
): Promise<Array<Settled<R>>> {
	const results: Array<Settled<R>> = inputs.map(() => ({ status: 'skipped' }));
	const limit = Math.max(1, Math.floor(options.concurrency) || 1);
	let next = 0;
	let rejected = false;

	const runOne = async (position: number) => {
		try {
			results[position] = { status: 'fulfilled', value: await worker(inputs[position], position) };
		} catch (reason) {
			rejected = true;
			results[position] = { status: 'rejected', reason };
		}
	};
	const lane = async () => {
		while (next < inputs.length && !(options.stopOnRejection && rejected)) {
			await runOne(next++);
		}
	};

	if (options.firstAlone && inputs.length > 0) {
		await runOne(next++);
	}
	await Promise.all(Array.from({ length: Math.min(limit, inputs.length) }, lane));
	return results;
}
