import { startSandbox, type Sandbox, type SandboxOptions } from '../../sandbox';

const running = new Set<Sandbox>();

/**
 * Starts a sandbox on an ephemeral port with `timeScale: 1000` (a nominal 5 s retry delay takes
 * 5 ms) unless told otherwise, and remembers it so `stopTestSandboxes()` can stop it.
 */
export async function startTestSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
	const sandbox = await startSandbox({ timeScale: 1000, ...options });
	running.add(sandbox);
	return sandbox;
}

/** Stops every sandbox started by `startTestSandbox` (call it in afterAll/afterEach). */
export async function stopTestSandboxes(): Promise<void> {
	const all = [...running];
	running.clear();
	await Promise.all(all.map((s) => s.stop()));
}
