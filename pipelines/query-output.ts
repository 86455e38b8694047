/**
 * The output of `lakehouse query`, written as the rows arrive (a result of any size streams through in bounded
 * memory): JSON lines, or an aligned text table whose column widths come from the first
 * {@link TABLE_WIDTH_ROWS} rows (a longer value further down widens only its own line). Waits for `out` to
 * drain when it is full, so a slow reader (a pager, a pipe) holds the query back instead of memory growing.
 */
import { once } from 'node:events';

/** A result row as a JSON-safe object. */
export type OutputRow = Readonly<Record<string, unknown>>;

/** Rows buffered to size the table's columns before the first line is printed. */
export const TABLE_WIDTH_ROWS = 1000;

function cell(value: unknown): string {
  return value === null || value === undefined ? 'NULL' : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function tableLine(values: readonly string[], widths: readonly number[]): string {
  return values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
}

function widthsOf(columns: readonly string[], rows: readonly OutputRow[]): number[] {
  const widths = columns.map((c) => c.length);
  for (const row of rows) columns.forEach((c, i) => { widths[i] = Math.max(widths[i], cell(row[c]).length); });
  return widths;
}

/** Renders rows as an aligned text table (`(no rows)` for none). */
export function formatTable(rows: readonly OutputRow[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = Object.keys(rows[0]);
  const widths = widthsOf(columns, rows);
  return [tableLine(columns, widths), tableLine(widths.map((w) => '-'.repeat(w)), widths), ...rows.map((r) => tableLine(columns.map((c) => cell(r[c])), widths))].join('\n');
}

/** Writes the rows of `chunks` to `out` as they come; resolves to the number of rows written. */
export async function writeRows(chunks: AsyncIterable<readonly OutputRow[]>, out: NodeJS.WritableStream, json: boolean): Promise<number> {
  let count = 0;
  let head: OutputRow[] | undefined = json ? undefined : [];
  let columns: string[] = [];
  let widths: number[] = [];
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const flushHead = async (): Promise<void> => {
    if (head === undefined) return;
    const rows = head;
    head = undefined;
    if (rows.length === 0) return;
    columns = Object.keys(rows[0]);
    widths = widthsOf(columns, rows);
    await write(formatTable(rows) + '\n');
  };
  for await (const rows of chunks) {
    count += rows.length;
    if (json) { await write(rows.map((row) => JSON.stringify(row) + '\n').join('')); continue; }
    if (head !== undefined) {
      for (const row of rows) head.push(row);
      if (head.length >= TABLE_WIDTH_ROWS) await flushHead();
      continue;
    }
    await write(rows.map((r) => tableLine(columns.map((c) => cell(r[c])), widths) + '\n').join(''));
  }
  if (!json && count === 0) await write('(no rows)\n');
  await flushHead();
  return count;
}
