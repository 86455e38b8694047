/**
 * The Grafana dashboard over the ClickHouse serving tables, generated from the SQL files in `queries/`, which
 * are its only source: each `NN-name.sql` is one panel (its `-- key: value` header gives title, panel type,
 * format, width, unit and description; the rest is the panel's `rawSql`), each `variable-name.sql` the query of
 * a dashboard variable. `node --import tsx infra/grafana/dashboard.ts` writes `lakehouse-dashboard.json`;
 * `--check` only compares and exits 1 when the committed file is stale. The panels use the
 * grafana-clickhouse-datasource plugin's SQL targets and its macros `$__fromTime`, `$__toTime` and
 * `$__interval_s`, plus the dashboard variables `${database}`, `${symbol}` and `${interval}`; the SQL is
 * written for ClickHouse 18.16 and later (no `toStartOfInterval`, no DateTime64: times are µs integers).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One SQL file: its header fields and the SQL after the header. */
export interface DashboardQuery {
  readonly file: string;
  readonly header: Readonly<Record<string, string>>;
  readonly sql: string;
}

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where the SQL files are. */
export const QUERIES_DIR = join(HERE, 'queries');
/** The generated dashboard. */
export const DASHBOARD_FILE = join(HERE, 'lakehouse-dashboard.json');
const DATASOURCE = { type: 'grafana-clickhouse-datasource', uid: '${datasource}' } as const;
/** The plugin's `format` values: 0 time series, 1 table. */
const FORMATS: Record<string, number> = { time_series: 0, table: 1 };

/** Splits a SQL file into its leading `-- key: value` lines and the SQL. */
export function parseQuery(file: string, text: string): DashboardQuery {
  const lines = text.split('\n');
  const header: Record<string, string> = {};
  let i = 0;
  for (; i < lines.length; i++) {
    const match = /^-- (\w+): (.*)$/.exec(lines[i]);
    if (match === null) break;
    header[match[1]] = match[2].trim();
  }
  return { file, header, sql: lines.slice(i).join('\n').trim() };
}

/** Every SQL file of `dir`, sorted by name (panels in file order). */
export function readQueries(dir = QUERIES_DIR): DashboardQuery[] {
  return readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
    .map((file) => parseQuery(file, readFileSync(join(dir, file), 'utf8')));
}

function panelOf(q: DashboardQuery, id: number, x: number, y: number): Record<string, unknown> {
  const { title, panel, format, width, unit, description } = q.header;
  if (title === undefined || panel === undefined || format === undefined || !(format in FORMATS)) {
    throw new Error(`${q.file}: a panel file needs -- title, -- panel and -- format (time_series or table)`);
  }
  return {
    id, type: panel, title, description: description ?? '', datasource: DATASOURCE,
    gridPos: { h: 9, w: Number(width ?? 12), x, y },
    fieldConfig: { defaults: unit === undefined ? {} : { unit }, overrides: [] },
    options: {},
    targets: [{
      refId: 'A', datasource: DATASOURCE, editorType: 'sql', queryType: format === 'table' ? 'table' : 'timeseries',
      format: FORMATS[format], rawSql: q.sql,
    }],
  };
}

function variables(queries: readonly DashboardQuery[]): Record<string, unknown>[] {
  const fromSql = queries.filter((q) => q.header.variable !== undefined).map((q) => ({
    type: 'query', name: q.header.variable, label: q.header.variable, description: q.header.description ?? '',
    datasource: DATASOURCE, query: q.sql, definition: q.sql, refresh: 2, sort: 1, multi: false, includeAll: false,
  }));
  return [
    { type: 'datasource', name: 'datasource', label: 'ClickHouse', query: 'grafana-clickhouse-datasource' },
    { type: 'textbox', name: 'database', label: 'Database', description: 'The --clickhouse-database of serve and backfill',
      query: 'lakehouse', current: { text: 'lakehouse', value: 'lakehouse' } },
    ...fromSql,
    { type: 'custom', name: 'interval', label: 'Bar interval', query: '1m,5m,15m,1h,4h,1d',
      current: { text: '1m', value: '1m' } },
  ];
}

/** The dashboard model built from `queries` (panels laid out left to right, 24 columns a row). */
export function dashboard(queries: readonly DashboardQuery[] = readQueries()): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let x = 0;
  let y = 0;
  for (const q of queries.filter((query) => query.header.variable === undefined)) {
    const w = Number(q.header.width ?? 12);
    if (x + w > 24) { x = 0; y += 9; }
    panels.push(panelOf(q, panels.length + 1, x, y));
    x += w;
  }
  return {
    uid: 'crypto-lakehouse', title: 'crypto-lakehouse', tags: ['crypto-lakehouse', 'clickhouse'],
    description: 'Generated from infra/grafana/queries/*.sql by infra/grafana/dashboard.ts; edit the SQL, not this file.',
    schemaVersion: 39, editable: true, refresh: '1m', time: { from: 'now-24h', to: 'now' }, timezone: 'utc',
    __requires: [{ type: 'datasource', id: 'grafana-clickhouse-datasource', name: 'ClickHouse', version: '4.0.0' }],
    templating: { list: variables(queries) }, panels,
  };
}

/** The dashboard as the committed file holds it. */
export function dashboardText(queries?: readonly DashboardQuery[]): string {
  return `${JSON.stringify(dashboard(queries), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const text = dashboardText();
  if (process.argv.includes('--check')) {
    const stale = readFileSync(DASHBOARD_FILE, 'utf8') !== text;
    if (stale) console.error(`${DASHBOARD_FILE} is stale: run npm run gen:dashboard`);
    process.exitCode = stale ? 1 : 0;
  } else {
    writeFileSync(DASHBOARD_FILE, text);
  }
}
