const path = require('path');
const { task, src, dest } = require('gulp');

// tsc emits only JavaScript: copy the icons and each node's codex file (*.node.json) next to the compiled files.
task('build:icons', () =>
	src(['nodes/**/*.{png,svg,json}', 'credentials/**/*.{png,svg}'], { base: '.', encoding: false }).pipe(
		dest(path.resolve('dist')),
	),
);
