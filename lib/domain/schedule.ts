/**
 * The next occurrence of HH:MM UTC strictly after `now`, as Data Pipeline's startDateTime
 * format (YYYY-MM-DDTHH:MM:SS, UTC, no zone suffix).
 */
export function nextRunStart(now: Date, time: { hour: number; minute: number }): string {
  const start = new Date(
    Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), time.hour, time.minute, 0),
  );
  if (start.getTime() <= now.getTime()) start.setUTCDate(start.getUTCDate() + 1);
  return start.toISOString().slice(0, 19);
}
