import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Figures measured by the reliability tests, written to reports/reliability.json so that the
 * README's table (`npm run report:reliability`) is made from a run, not from prose.
 */
export interface Figure {
  scenario: string;
  size: string;
  outcome: string;
}

const FILE = join(__dirname, '..', '..', 'reports', 'reliability.json');

export function recordFigure(figure: Figure): void {
  mkdirSync(join(FILE, '..'), { recursive: true });
  let all: Figure[] = [];
  try {
    all = JSON.parse(readFileSync(FILE, 'utf8')) as Figure[];
  } catch {
    // first figure of the run
  }
  all = all.filter((f) => f.scenario !== figure.scenario);
  all.push(figure);
  writeFileSync(FILE, `${JSON.stringify(all, null, 2)}\n`);
  process.stdout.write(`[reliability] ${figure.scenario} | ${figure.size} | ${figure.outcome}\n`);
}
