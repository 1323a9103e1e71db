/**
 * `npm run report:reliability`: renders reports/reliability.json — written by the reliability
 * and recovery integration tests — as the README's reliability table (between the markers).
 */
import { readFileSync, writeFileSync } from 'node:fs';
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

const root = join(__dirname, '..');
const figures = JSON.parse(readFileSync(join(root, 'reports', 'reliability.json'), 'utf8')) as Figure[];
const missing = ORDER.filter((s) => !figures.some((f) => f.scenario === s));
if (missing.length > 0) {
  console.error(`reports/reliability.json lacks: ${missing.join(', ')} — run npm run test:integration first`);
  process.exit(1);
}
const rows = ORDER.map((s) => figures.find((f) => f.scenario === s) as Figure).map((f) => `| ${f.scenario} | ${f.size} | ${f.outcome} |`);
const table = ['| scenario | size | outcome (measured) |', '|---|---|---|', ...rows].join('\n');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const start = '<!-- reliability:start -->';
const end = '<!-- reliability:end -->';
if (!readme.includes(start) || !readme.includes(end)) {
  console.error('README.md has no reliability markers');
  process.exit(1);
}
const updated = `${readme.slice(0, readme.indexOf(start) + start.length)}\n${table}\n${readme.slice(readme.indexOf(end))}`;
writeFileSync(join(root, 'README.md'), updated);
console.log(table);
