#!/usr/bin/env node
// `npm pack` of the core package: the package carries the SQL it applies,
// copied from the repository's top-level migrations/ (their one home) into
// libs/core/migrations for the tarball, and removed again after packing.
//   node scripts/copy-migrations.cjs libs/core/migrations
//   node scripts/copy-migrations.cjs --remove libs/core/migrations
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const remove = process.argv[2] === '--remove';
const target = path.join(root, process.argv[remove ? 3 : 2]);
fs.rmSync(target, { recursive: true, force: true });
if (!remove) {
  for (const folder of ['committed', 'functions']) {
    const from = path.join(root, 'migrations', folder);
    if (fs.existsSync(from)) fs.cpSync(from, path.join(target, folder), { recursive: true });
  }
}
