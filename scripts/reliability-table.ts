/**
 * `npm run report:reliability`: prints, on stdout, the reliability table made from
 * reports/reliability.json — the figures the reliability and recovery integration tests wrote
 * on their last run — in the form of the README's table. It writes no file.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface Figure {
  scenario: string;
  size: string;
  outcome: string;
}

const ORDER = [
  'Duplicate delivery',
  'Concurrent accounts',
  'Injected faults',
  'Activation rejected once',
  'Crash after CreatePipeline',
  'Dead lock holder',
  'Expired lease',
  'Invalid policy in place',
  'Concurrent human edit',
  'Bad input',
];

const file = join(__dirname, '..', 'reports', 'reliability.json');
let figures: Figure[];
try {
  figures = JSON.parse(readFileSync(file, 'utf8')) as Figure[];
} catch (e) {
  console.error(
    `report:reliability: cannot read ${file} (${(e as Error).message}) — run npm run test:integration first`,
  );
  process.exit(1);
}
const missing = ORDER.filter((s) => !figures.some((f) => f.scenario === s));
if (missing.length > 0) {
  console.error(`reports/reliability.json lacks: ${missing.join(', ')} — run npm run test:integration first`);
  process.exit(1);
}
const rows = ORDER.map((s) => figures.find((f) => f.scenario === s) as Figure).map(
  (f) => `| ${f.scenario} | ${f.size} | ${f.outcome} |`,
);
console.log(['| scenario | size | outcome (measured) |', '|---|---|---|', ...rows].join('\n'));
console.error(`(from ${file}, written ${statSync(file).mtime.toISOString()})`);
