/**
 * Days for schedules: `--from`/`--to` take `YYYY-MM-DD` or a day relative to the start of the run — `today`,
 * `yesterday`, `-Nd` (N days ago), `-Nw` (N weeks ago) — resolved once, in UTC, so a run that crosses
 * midnight keeps the days it started with and a cron line or timer needs no date arithmetic.
 */
import { ConfigError } from '../schemas/errors.js';

const MS_PER_DAY = 86_400_000;

/** The UTC day (`YYYY-MM-DD`) that `text` names at `nowMs`; an absolute day is returned as given (validated later). */
export function resolveDay(text: string, nowMs: number): string {
  const trimmed = text.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(trimmed)) return trimmed;
  const today = Math.floor(nowMs / MS_PER_DAY) * MS_PER_DAY;
  const relative = /^-(\d{1,5})([dw])$/.exec(trimmed);
  const daysAgo = trimmed === 'today' ? 0 : trimmed === 'yesterday' ? 1
    : relative === null ? undefined : Number(relative[1]) * (relative[2] === 'w' ? 7 : 1);
  if (daysAgo === undefined) {
    throw new ConfigError(`expected a day as YYYY-MM-DD, today, yesterday, -Nd or -Nw; got ${JSON.stringify(text)}`);
  }
  return new Date(today - daysAgo * MS_PER_DAY).toISOString().slice(0, 10);
}

/** The day after `day` (`YYYY-MM-DD`). */
export function nextDay(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + MS_PER_DAY).toISOString().slice(0, 10);
}
