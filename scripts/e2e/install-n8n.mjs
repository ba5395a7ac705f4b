#!/usr/bin/env node
// Installs a pinned n8n into a cache folder outside the repository, once per version, and prints its location.
// n8n-nodes-base pulls `xlsx` from a CDN tarball that an offline machine cannot reach, so n8n is installed inside a
// small host package that overrides `xlsx` with the registry's copy.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync, rmSync, renameSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const N8N_VERSION = process.env.HINDSITE_E2E_N8N_VERSION || '2.8.4';

// n8n 2.8.4's own launcher refuses older Node.js versions; say so before a long install rather than after it.
const MIN_NODE = [20, 19];

export function n8nCacheRoot() {
	const base = process.env.HINDSITE_N8N_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'n8n-nodes-hindsite');
	// Native modules (sqlite3) are built for one Node.js ABI, platform and architecture: keep one install for each.
	return join(base, `n8n-${N8N_VERSION}-node-abi${process.versions.modules}-${process.platform}-${process.arch}`);
}

function assertNodeVersion() {
	const [major, minor] = process.versions.node.split('.').map(Number);
	if (major < MIN_NODE[0] || (major === MIN_NODE[0] && minor < MIN_NODE[1])) {
		throw new Error(`n8n ${N8N_VERSION} needs Node.js ${MIN_NODE.join('.')} or newer; this is ${process.versions.node}.`);
	}
}

export function n8nBinary(root = n8nCacheRoot()) {
	return join(root, 'node_modules', 'n8n', 'bin', 'n8n');
}

function folderSizeMb(dir) {
	const out = spawnSync('du', ['-sm', dir], { encoding: 'utf8' });
	return out.status === 0 ? Number(out.stdout.split(/\s+/)[0]) : NaN;
}

export function ensureN8n({ log = (line) => process.stderr.write(`${line}\n`) } = {}) {
	assertNodeVersion();
	const root = n8nCacheRoot();
	if (existsSync(join(root, '.complete')) && existsSync(n8nBinary(root))) {
		return root;
	}
	const staging = `${root}.partial-${process.pid}`;
	rmSync(staging, { recursive: true, force: true });
	mkdirSync(staging, { recursive: true });
	writeFileSync(
		join(staging, 'package.json'),
		JSON.stringify(
			{
				name: 'hindsite-e2e-n8n-host',
				private: true,
				dependencies: { n8n: N8N_VERSION },
				overrides: { xlsx: '0.18.5' },
			},
			null,
			2,
		),
	);
	log(`Installing n8n ${N8N_VERSION} into ${root} (first run only; expect 5 to 10 minutes and 2.3 GB)...`);
	const started = Date.now();
	const result = spawnSync(
		'npm',
		// sqlite3 compiles in its install script: make sure a user or CI setting cannot switch scripts off.
		['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts=false'],
		{ cwd: staging, stdio: ['ignore', 'inherit', 'inherit'], env: cleanNpmEnv() },
	);
	if (result.status !== 0) {
		rmSync(staging, { recursive: true, force: true });
		throw new Error(`npm install of n8n ${N8N_VERSION} failed with exit code ${result.status ?? result.signal}`);
	}
	const missing = [n8nBinary(staging), join(staging, 'node_modules', 'sqlite3', 'build', 'Release', 'node_sqlite3.node')].filter(
		(file) => !existsSync(file),
	);
	if (missing.length > 0) {
		rmSync(staging, { recursive: true, force: true });
		throw new Error(`npm install of n8n ${N8N_VERSION} finished, but left out ${missing.join(', ')} (did an install script not run?)`);
	}
	writeFileSync(join(staging, '.complete'), new Date().toISOString());
	if (existsSync(join(root, '.complete')) && existsSync(n8nBinary(root))) {
		// Another process finished the same install meanwhile: keep theirs, which may already be in use.
		rmSync(staging, { recursive: true, force: true });
	} else {
		rmSync(root, { recursive: true, force: true });
		renameSync(staging, root);
	}
	const seconds = Math.round((Date.now() - started) / 1000);
	log(`Installed n8n ${N8N_VERSION}: ${folderSizeMb(root)} MB in ${seconds} s.`);
	return root;
}

/**
 * The environment without the npm_* variables of an enclosing `npm run`: they carry the project's own settings
 * (its prefix, its .npmrc) into an install that belongs elsewhere. npm still reads the user's and the machine's config.
 */
function cleanNpmEnv() {
	const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
	return { ...env, npm_config_yes: 'true' };
}

if (import.meta.url === `file://${process.argv[1]}`) {
	const root = ensureN8n();
	process.stdout.write(`${root}\n`);
}
