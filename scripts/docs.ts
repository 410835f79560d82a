/**
 * npm run docs: rewrites the generated configuration section of README.md (effective parameters and
 * memory budget of every environment). test/readme.test.ts fails when it is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseSettings } from './config/resolve.ts';
import { loadEnvironments } from './config/load.ts';
import { configurationSection, readmeWithConfiguration } from './docs/configuration.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const environments = await loadEnvironments(path.join(root, 'scripts/environments'), root);
const readmePath = path.join(root, 'README.md');
const readme = readFileSync(readmePath, 'utf8');
const updated = readmeWithConfiguration(readme, configurationSection(environments, baseSettings().postgresql));
if (updated !== readme) writeFileSync(readmePath, updated);
console.log(updated === readme ? 'README.md configuration section: unchanged' : 'README.md configuration section: updated');
