import { mapInOrder } from '../../nodes/HindsiteWebhookDelivery/helpers/concurrency';

/** Yields to the event loop so that every promise continuation queued so far has run. */
const settleMicrotasks = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Task {
	resolve(value: string): void;
	reject(reason: unknown): void;
}

/** A worker whose tasks finish only when the test says so, and which records what ran when. */
function controlledWorker() {
	const started: number[] = [];
	const finished: number[] = [];
	const tasks = new Map<number, Task>();
	let inFlight = 0;
	let maxInFlight = 0;
	const worker = (input: string, position: number) =>
		new Promise<string>((resolve, reject) => {
			started.push(position);
			inFlight++;
			maxInFlight = Math.max(maxInFlight, inFlight);
			const done = () => {
				inFlight--;
				finished.push(position);
			};
			tasks.set(position, {
				resolve: (value) => {
					done();
					resolve(value);
				},
				reject: (reason) => {
					done();
					reject(reason);
				},
			});
			expect(input).toBe(`in-${position}`);
		});
	const task = (position: number): Task => {
		const found = tasks.get(position);
		if (!found) throw new Error(`task ${position} has not started`);
		return found;
	};
	return {
		worker,
		started,
		finished,
		task,
		get inFlight() {
			return inFlight;
		},
		get maxInFlight() {
			return maxInFlight;
		},
	};
}

const inputs = (n: number) => Array.from({ length: n }, (_, i) => `in-${i}`);

describe('mapInOrder', () => {
	it('returns an empty list for no input, without calling the worker', async () => {
		const worker = jest.fn();
		await expect(mapInOrder([], worker, { concurrency: 4 })).resolves.toEqual([]);
		await expect(mapInOrder([], worker, { concurrency: 4, firstAlone: true, stopOnRejection: true })).resolves.toEqual([]);
		expect(worker).not.toHaveBeenCalled();
	});

	it('keeps results in input order when tasks finish in the reverse order', async () => {
		const w = controlledWorker();
		const run = mapInOrder(inputs(4), w.worker, { concurrency: 4 });
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2, 3]);
		for (const position of [3, 1, 2, 0]) {
			w.task(position).resolve(`out-${position}`);
			await settleMicrotasks();
		}
		expect(w.finished).toEqual([3, 1, 2, 0]);
		await expect(run).resolves.toEqual([0, 1, 2, 3].map((i) => ({ status: 'fulfilled', value: `out-${i}` })));
	});

	it('keeps results in input order when tasks take timer-driven, uneven times', async () => {
		const delays = [4, 0, 3, 1, 2, 0, 4, 1];
		const order: number[] = [];
		const results = await mapInOrder(
			delays,
			(delay, position) =>
				new Promise<number>((resolve) =>
					setTimeout(() => {
						order.push(position);
						resolve(delay * 10);
					}, delay),
				),
			{ concurrency: 3 },
		);
		expect(order).not.toEqual([...order].sort((a, b) => a - b));
		expect(results).toEqual(delays.map((delay) => ({ status: 'fulfilled', value: delay * 10 })));
	});

	it('never has more than `concurrency` tasks in flight, and uses all of them', async () => {
		const w = controlledWorker();
		const run = mapInOrder(inputs(10), w.worker, { concurrency: 3 });
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2]);
		for (const position of [1, 0, 4, 2, 3, 6, 5, 7, 9, 8]) {
			expect(w.inFlight).toBeLessThanOrEqual(3);
			w.task(position).resolve(`out-${position}`);
			await settleMicrotasks();
		}
		await run;
		expect(w.maxInFlight).toBe(3);
		expect(w.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
	});

	it('starts the next input as soon as any task finishes', async () => {
		const w = controlledWorker();
		const run = mapInOrder(inputs(4), w.worker, { concurrency: 2 });
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1]);
		w.task(1).resolve('b');
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2]);
		w.task(0).resolve('a');
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2, 3]);
		w.task(2).resolve('c');
		w.task(3).resolve('d');
		await run;
	});

	it.each([
		['0', 0, 1],
		['a negative number', -5, 1],
		['a fraction', 2.7, 2],
		['more than the inputs', 50, 6],
	])('treats a concurrency of %s as at most %i in flight', async (_label, concurrency, expected) => {
		const w = controlledWorker();
		const run = mapInOrder(inputs(6), w.worker, { concurrency });
		await settleMicrotasks();
		expect(w.started).toHaveLength(expected);
		while (w.finished.length < 6) {
			for (const position of [...w.started]) {
				if (!w.finished.includes(position)) w.task(position).resolve('x');
			}
			await settleMicrotasks();
		}
		await run;
		expect(w.maxInFlight).toBe(expected);
	});

	it('with firstAlone, finishes the first task before any other starts', async () => {
		const w = controlledWorker();
		const run = mapInOrder(inputs(5), w.worker, { concurrency: 3, firstAlone: true });
		await settleMicrotasks();
		await settleMicrotasks();
		expect(w.started).toEqual([0]);
		w.task(0).resolve('first');
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2, 3]);
		expect(w.inFlight).toBe(3);
		for (const position of [1, 2, 3]) w.task(position).resolve(`out-${position}`);
		await settleMicrotasks();
		w.task(4).resolve('out-4');
		const results = await run;
		expect(results[0]).toEqual({ status: 'fulfilled', value: 'first' });
		expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));
		expect(w.maxInFlight).toBe(3);
	});

	it('with firstAlone and a single input, runs it once', async () => {
		const worker = jest.fn(async (input: string) => input.toUpperCase());
		await expect(mapInOrder(['only'], worker, { concurrency: 3, firstAlone: true })).resolves.toEqual([
			{ status: 'fulfilled', value: 'ONLY' },
		]);
		expect(worker).toHaveBeenCalledTimes(1);
	});

	it('without stopOnRejection, records a rejection and carries on with the rest', async () => {
		const boom = new Error('boom');
		const results = await mapInOrder(
			[1, 2, 3, 4],
			async (n) => {
				if (n === 2) throw boom;
				return n * 10;
			},
			{ concurrency: 1 },
		);
		expect(results).toEqual([
			{ status: 'fulfilled', value: 10 },
			{ status: 'rejected', reason: boom },
			{ status: 'fulfilled', value: 30 },
			{ status: 'fulfilled', value: 40 },
		]);
	});

	it('records a worker that throws synchronously as rejected', async () => {
		const boom = new Error('sync');
		const results = await mapInOrder(
			['a', 'b'],
			(input) => {
				if (input === 'a') throw boom;
				return Promise.resolve(input);
			},
			{ concurrency: 2 },
		);
		expect(results).toEqual([
			{ status: 'rejected', reason: boom },
			{ status: 'fulfilled', value: 'b' },
		]);
	});

	it('with stopOnRejection, starts no new task after a rejection, lets in-flight ones finish and skips the rest', async () => {
		const w = controlledWorker();
		const boom = new Error('boom');
		const run = mapInOrder(inputs(6), w.worker, { concurrency: 2, stopOnRejection: true });
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1]);
		w.task(1).resolve('out-1');
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2]);
		w.task(2).reject(boom);
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2]);
		expect(w.inFlight).toBe(1);
		w.task(0).resolve('out-0');
		await settleMicrotasks();
		expect(w.started).toEqual([0, 1, 2]);
		await expect(run).resolves.toEqual([
			{ status: 'fulfilled', value: 'out-0' },
			{ status: 'fulfilled', value: 'out-1' },
			{ status: 'rejected', reason: boom },
			{ status: 'skipped' },
			{ status: 'skipped' },
			{ status: 'skipped' },
		]);
	});

	it('with stopOnRejection and firstAlone, skips everything after a first task that rejects', async () => {
		const boom = new Error('token request failed');
		const worker = jest.fn(async (input: string) => {
			if (input === 'in-0') throw boom;
			return input;
		});
		await expect(
			mapInOrder(inputs(4), worker, { concurrency: 2, firstAlone: true, stopOnRejection: true }),
		).resolves.toEqual([{ status: 'rejected', reason: boom }, { status: 'skipped' }, { status: 'skipped' }, { status: 'skipped' }]);
		expect(worker).toHaveBeenCalledTimes(1);
	});

	it('with firstAlone but not stopOnRejection, runs the others after a first task that rejects', async () => {
		const boom = new Error('first failed');
		const results = await mapInOrder(
			inputs(3),
			async (input) => {
				if (input === 'in-0') throw boom;
				return input;
			},
			{ concurrency: 2, firstAlone: true },
		);
		expect(results).toEqual([
			{ status: 'rejected', reason: boom },
			{ status: 'fulfilled', value: 'in-1' },
			{ status: 'fulfilled', value: 'in-2' },
		]);
	});

	it('passes each input with its position', async () => {
		const seen: Array<[string, number]> = [];
		await mapInOrder(
			['a', 'b', 'c'],
			async (input, position) => {
				seen.push([input, position]);
				return input;
			},
			{ concurrency: 2 },
		);
		expect(seen.sort((x, y) => x[1] - y[1])).toEqual([
			['a', 0],
			['b', 1],
			['c', 2],
		]);
	});
});

describe('mapInOrder: a concurrency that is not a number', () => {
	test('still runs every task, one at a time', async () => {
		const results = await mapInOrder([1, 2, 3], async (n) => n * 2, { concurrency: Number.NaN });
		expect(results).toEqual([2, 4, 6].map((value) => ({ status: 'fulfilled', value })));
	});
});
