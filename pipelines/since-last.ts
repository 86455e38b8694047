/**
 * `backfill --since-last`: continue a daily schedule from the manifest. The run covers the day after the last
 * day loaded for every requested symbol (the earliest of their last days, so no symbol skips a day; files
 * already loaded are skipped by the manifest as usual) through `--to`, by default yesterday. A symbol with
 * nothing loaded yet starts at `--from`, which is then required.
 */
import { openManifest, type ManifestEntry } from '../connectors/binance-archive/manifest.js';
import { ConfigError } from '../schemas/errors.js';
import type { ResolvedConfig } from './config.js';
import { nextDay, resolveDay } from './relative-day.js';

/** The last day an archive key covers: its day, or the last day of its month. */
function lastDayOf(key: string): string | undefined {
  const match = /-(\d{4})-(\d{2})(?:-(\d{2}))?\.zip$/.exec(key);
  if (match === null) return undefined;
  const [, year, month, day] = match as unknown as [string, string, string, string | undefined];
  if (day !== undefined) return `${year}-${month}-${day}`;
  return new Date(Date.UTC(Number(year), Number(month), 0)).toISOString().slice(0, 10);
}

/** `config` with `from`/`to` set from the manifest at `manifestPath`, or `undefined` when everything up to `--to` is loaded. */
export async function sinceLastConfig(config: ResolvedConfig, manifestPath: string, nowMs = Date.now()): Promise<ResolvedConfig | undefined> {
  return sinceLastOf(config, (await openManifest(manifestPath)).entries(), manifestPath, nowMs);
}

/** {@link sinceLastConfig} from a manifest's entries (`where`: the manifest, for messages). */
export function sinceLastOf(config: ResolvedConfig, entries: readonly ManifestEntry[], where: string, nowMs = Date.now()): ResolvedConfig | undefined {
  const symbols = [...((config.symbols as readonly string[] | undefined) ?? [])].map((s) => s.toUpperCase());
  const lastBySymbol = new Map<string, string>();
  for (const entry of entries) {
    if (entry.status !== 'loaded') continue;
    const day = lastDayOf(entry.key);
    const symbol = symbols.find((s) => entry.key.includes(`/${s}/`));
    if (day === undefined || symbol === undefined) continue;
    if ((lastBySymbol.get(symbol) ?? '') < day) lastBySymbol.set(symbol, day);
  }
  const lasts = symbols.map((s) => lastBySymbol.get(s));
  let from: string;
  if (lasts.every((d): d is string => d !== undefined) && lasts.length > 0) {
    from = nextDay(lasts.reduce((a, b) => (a < b ? a : b)));
  } else if (config.from !== undefined) {
    from = resolveDay(config.from as string, nowMs);
  } else {
    throw new ConfigError(`--since-last: nothing loaded yet for ${symbols.filter((_, i) => lasts[i] === undefined).join(',') || 'these symbols'} in ${where}; give --from for the first run`);
  }
  const to = resolveDay((config.to as string | undefined) ?? 'yesterday', nowMs);
  return from > to ? undefined : Object.freeze({ ...config, from, to });
}
