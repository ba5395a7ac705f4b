// Everything a run needs before its first case: n8n itself (installed once into a cache), this package packed with
// `npm pack` and installed the way n8n's community-package installer does it, and a migrated empty database.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { ensureN8n } from './install-n8n.mjs';
import { N8nUserFolder, PACKAGE_NAME, type N8nPaths } from './n8n';

export const REPO_ROOT = resolve(__dirname, '..', '..');

/** Arguments n8n 2.8.4 passes to `npm install` inside a freshly unpacked community package. */
const N8N_INSTALLER_NPM_ARGS = [
	'--audit=false',
	'--fund=false',
	'--bin-links=false',
	'--install-strategy=shallow',
	'--ignore-scripts=true',
	'--package-lock=false',
];

export interface Prepared extends N8nPaths {
	packageVersion: string;
	tarball: string;
	timings: Record<string, number>;
}

type Log = (line: string) => void;

function run(command: string, args: string[], cwd: string, what: string): string {
	const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
	if (result.status !== 0) {
		throw new Error(`${what} failed (exit ${result.status}):\n${result.stdout?.slice(-4000)}\n${result.stderr?.slice(-4000)}`);
	}
	return result.stdout;
}

function seconds(since: number): number {
	return Math.round((Date.now() - since) / 100) / 10;
}

/**
 * A copy of the working tree's sources (what git tracks or would track) sharing its node_modules, so that packing
 * builds in a folder of its own and never replaces the dist/ that other commands may be reading.
 */
function stageSources(workDir: string): string {
	const listing = spawnSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
		cwd: REPO_ROOT,
		encoding: 'utf8',
		maxBuffer: 64 * 1024 * 1024,
	});
	if (listing.status !== 0) return REPO_ROOT; // Not a git checkout: pack in place.
	const staged = join(workDir, 'source');
	rmSync(staged, { recursive: true, force: true });
	for (const file of listing.stdout.split('\0').filter(Boolean)) {
		const from = join(REPO_ROOT, file);
		if (!existsSync(from)) continue; // Deleted but not yet committed.
		mkdirSync(dirname(join(staged, file)), { recursive: true });
		cpSync(from, join(staged, file));
	}
	symlinkSync(join(REPO_ROOT, 'node_modules'), join(staged, 'node_modules'), 'dir');
	return staged;
}

/** `npm pack` (which builds through `prepack`), then the same steps n8n runs after downloading a package. */
export function packAndInstallLikeN8n(workDir: string, log: Log): { installedPackageDir: string; version: string; tarball: string } {
	mkdirSync(workDir, { recursive: true });
	const source = stageSources(workDir);
	// `prepack` builds first and its output lands on stdout too: the JSON report is the last top-level array.
	const stdout = run('npm', ['pack', '--json', '--pack-destination', workDir], source, 'npm pack');
	const packed = JSON.parse(stdout.slice(stdout.lastIndexOf('\n[\n') + 1)) as Array<{
		filename: string;
		version: string;
		files: Array<{ path: string }>;
	}>;
	const { filename, version, files } = packed[0];
	const tarball = join(workDir, filename);
	// The package ships the compiled node and credential only: never the sandbox, tests, scripts or examples.
	const SHIPPED = /^(dist\/(nodes|credentials)\/.+|index\.js|package\.json|README\.md|LICENSE)$/;
	const unexpected = files.map((file) => file.path).filter((path) => !SHIPPED.test(path));
	if (unexpected.length > 0) throw new Error(`npm pack would publish files it must not: ${unexpected.join(', ')}`);
	log(`packed ${filename} (${files.length} files, only dist/nodes, dist/credentials and package metadata)`);

	// n8n: `tar -xzf <tarball> -C <nodes>/node_modules/<name> --strip-components=1`, drop dev/peer/optional
	// dependencies from package.json, then `npm install` with scripts off inside the package folder.
	const installedPackageDir = join(workDir, 'installed', 'node_modules', PACKAGE_NAME);
	rmSync(installedPackageDir, { recursive: true, force: true });
	mkdirSync(installedPackageDir, { recursive: true });
	run('tar', ['-xzf', tarball, '-C', installedPackageDir, '--strip-components=1'], workDir, 'unpacking the tarball');
	const manifestPath = join(installedPackageDir, 'package.json');
	// eslint-disable-next-line @typescript-eslint/no-unused-vars
	const { devDependencies, peerDependencies, optionalDependencies, ...manifest } = JSON.parse(readFileSync(manifestPath, 'utf8'));
	writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
	run('npm', ['install', ...N8N_INSTALLER_NPM_ARGS], installedPackageDir, 'npm install inside the unpacked package');
	return { installedPackageDir, version, tarball };
}

/** A `.n8n` folder with n8n's database created and migrated, copied into each new user folder. */
async function migratedTemplate(n8nRoot: string, workDir: string, installedPackageDir: string, version: string): Promise<string> {
	const scratch = await N8nUserFolder.create(join(workDir, 'template'), { n8nRoot, installedPackageDir }, version, 'template');
	// Any command opens the database and runs the migrations; importing an empty list changes nothing else.
	const emptyList = join(scratch.dir, 'none');
	mkdirSync(emptyList);
	const result = await scratch.run(['import:workflow', '--separate', `--input=${emptyList}`]);
	if (result.code !== 0) {
		throw new Error(`n8n could not create its database:\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
	}
	const template = join(workDir, 'template-dot-n8n');
	rmSync(template, { recursive: true, force: true });
	cpSync(join(scratch.dir, '.n8n'), template, {
		recursive: true,
		filter: (source) => !source.includes(`${join('.n8n', 'nodes')}`),
	});
	await scratch.dispose();
	return template;
}

export async function prepare(workDir: string, { log = (line: string) => process.stderr.write(`${line}\n`), template = true } = {}): Promise<Prepared> {
	const timings: Record<string, number> = {};
	let started = Date.now();
	const n8nRoot = ensureN8n({ log });
	timings.n8nInstall = seconds(started);

	started = Date.now();
	const { installedPackageDir, version, tarball } = packAndInstallLikeN8n(workDir, log);
	timings.packAndInstall = seconds(started);

	let templateDotN8n: string | undefined;
	if (template) {
		started = Date.now();
		templateDotN8n = await migratedTemplate(n8nRoot, workDir, installedPackageDir, version);
		timings.databaseTemplate = seconds(started);
	}
	if (!existsSync(installedPackageDir)) throw new Error('The package was not installed');
	return { n8nRoot, installedPackageDir, templateDotN8n, packageVersion: version, tarball, timings };
}
