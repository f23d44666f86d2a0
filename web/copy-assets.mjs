// Puts the dashboard's static files beside its compiled scripts in dist/dashboard, the one
// folder the API serves under `/`: the page, its style sheet, and hls.js's browser module.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const webDir = dirname(fileURLToPath(import.meta.url));
const outDir = join(webDir, '..', 'dist', 'dashboard');
mkdirSync(join(outDir, 'app', 'vendor'), { recursive: true });
for (const name of readdirSync(join(webDir, 'public'))) copyFileSync(join(webDir, 'public', name), join(outDir, name));
const hlsDist = dirname(createRequire(import.meta.url).resolve('hls.js/package.json'));
copyFileSync(join(hlsDist, 'dist', 'hls.min.mjs'), join(outDir, 'app', 'vendor', 'hls.min.mjs'));
