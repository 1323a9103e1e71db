import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A fresh deep copy of an event from events/, so tests can mutate it freely. */
export function loadEvent(name: string): Record<string, any> {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', 'events', `${name}.json`), 'utf8'));
}
