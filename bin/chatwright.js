#!/usr/bin/env node
'use strict';
// The `chatwright` command. It runs the bundled CLI, building it first when a fresh checkout has no dist/ yet.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { spawnSync } = require('node:child_process');

const root = join(__dirname, '..');
const cli = join(root, 'dist', 'cli.js');
if (!existsSync(cli)) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0 || !existsSync(cli)) {
    process.stderr.write('chatwright: the CLI is not built and building it failed; run `npm run build` in the checkout.\n');
    process.exit(2);
  }
}
require(cli);
