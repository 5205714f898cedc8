#!/usr/bin/env node
// Recomputes the "--! Previous" / "--! Hash" headers of migrations/committed/*.sql
// in filename order, with graphile-migrate's own hash function.
//
// Why: the hash chain makes two branches that each add a migration collide.
// Before a migration has been released (nothing outside this repository has
// applied it), renumbering or editing it and re-chaining with this script is
// safe. NEVER run it to change a migration that a released version shipped:
// graphile-migrate would refuse a database that applied the old text.
const fs = require('node:fs');
const path = require('node:path');
const { calculateHash } = require('graphile-migrate/dist/hash');
const { parseMigrationText, serializeMigration } = require('graphile-migrate/dist/migration');

const folder = path.join(__dirname, '..', 'migrations', 'committed');
const files = fs
  .readdirSync(folder)
  .filter((f) => /^\d{6}(-[-_a-zA-Z0-9]*)?\.sql$/.test(f))
  .sort();
let previous = null;
for (const file of files) {
  const full = path.join(folder, file);
  const { headers, body } = parseMigrationText(full, fs.readFileSync(full, 'utf8'));
  const hash = calculateHash(body, previous);
  const next = serializeMigration(body, { ...headers, Previous: previous ?? '-', Hash: hash });
  if (next !== fs.readFileSync(full, 'utf8')) {
    fs.writeFileSync(full, next);
    console.log(`rehashed ${file}`);
  }
  previous = hash;
}
