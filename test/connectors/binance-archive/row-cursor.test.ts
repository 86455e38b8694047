import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../../schemas/errors.js';
import { RowCursor } from '../../../connectors/binance-archive/row-cursor.js';
import { realFixtureText } from '../../support/fixtures.js';

const CSV_FIXTURES = [
  'BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip', 'BTCUSDT-1h-2026-05-08.zip', 'BTCUSDT-1h-2026-05-09.zip',
  'BTCUSDT-fundingRate-2026-04.zip', 'BTCUSD_PERP-aggTrades-2026-05-08.zip', 'ADABTC-1m-2021-11-27.csv',
  'ALGOUSDT-1m-2026-02.first1440rows.csv',
];

/** Reads one cell (the whole row) as a decimal. */
const num = (cell: string): number => new RowCursor().reset(cell).num('x');
/** The cells of a row, read as decimals in place from one buffer holding several rows. */
const rowOfDecimals = (bytes: Buffer, start: number, count: number): number[] => {
  const cursor = new RowCursor().reset(bytes, start).begin(count, 'row');
  const values = Array.from({ length: count }, () => cursor.num('x'));
  cursor.done();
  return values;
};

describe('RowCursor decimals', () => {
  for (const name of CSV_FIXTURES) {
    it(`reads every numeric cell of ${name} exactly as Number() does`, () => {
      const text = realFixtureText(name);
      const bytes = Buffer.from(text.endsWith('\n') ? text : `${text}\n`);
      const cursor = new RowCursor();
      let cells = 0;
      for (let start = 0; start < bytes.length;) {
        const end = bytes.indexOf(10, start);
        const line = bytes.toString('latin1', start, end).replace(/\r$/, '');
        if (/^\d/.test(line)) {
          cursor.reset(bytes, start);
          for (const cell of line.split(',')) {
            if (/^-?\d/.test(cell)) { assert.ok(Object.is(cursor.num('x'), Number(cell)), `${cell} in ${name}`); cells++; } else cursor.skip();
          }
          cursor.done();
          assert.equal(cursor.rowEnd(), end + 1);
        }
        start = end + 1;
      }
      assert.ok(cells > 0);
    });
  }

  it('reads negative numbers, numbers without a fraction, a bare point and leading zeros like Number()', () => {
    for (const text of ['-1', '-0', '-0.00003449', '42', '42.', '.5', '-.5', '007.50', '0.00000000', '48222.97823150']) {
      assert.ok(Object.is(num(text), Number(text)), text);
    }
  });

  it('is exact at 22 fraction digits and falls back to Number() beyond (23 and more)', () => {
    for (const text of ['0.1234567890123456789012', '0.12345678901234567890123', '1.00000000000000000000001', `0.${'9'.repeat(30)}`]) {
      assert.ok(Object.is(num(text), Number(text)), text);
    }
  });

  it('falls back to Number() for mantissas of 2^53 and beyond', () => {
    for (const text of ['9007199254740991', '9007199254740992', '9007199254740993', '900719925474099.3', '90071992547409.93', '18014398509481985', '123456789012345678901234', '-9007199254740993.5']) {
      assert.ok(Object.is(num(text), Number(text)), text);
    }
  });

  it('accepts exponent notation and rejects an exponent that overflows', () => {
    for (const text of ['1e-5', '2.5E3', '-1.5e+2', '1E0']) assert.ok(Object.is(num(text), Number(text)), text);
    assert.throws(() => num('1e999'), /column x: expected a decimal number/);
    assert.throws(() => num('1e'), /column x: expected a decimal number/);
  });

  it('rejects stray characters anywhere in the cell, including non-ASCII, and reports the cell as text', () => {
    for (const bad of ['1.5x', 'x1.5', '1 ', ' 1', '+1', '1-', '1..5', '--1', '-', '.', '1\r5', '١٢', '1٫5', '１']) {
      assert.throws(() => num(bad), (e: unknown) => e instanceof DecodeError && e.raw === bad && e.message.includes(JSON.stringify(bad)), bad);
    }
  });

  it('rejects an empty cell as a number and reads it as null where null is allowed', () => {
    const cursor = new RowCursor().reset('1,,2').begin(3, 'row');
    assert.equal(cursor.num('a'), 1);
    assert.throws(() => cursor.num('b'), /column b: expected a decimal number, got ""/);
    const nullable = new RowCursor().reset('1,,2,').begin(4, 'row');
    assert.deepEqual([nullable.numOrNull('a'), nullable.numOrNull('b'), nullable.numOrNull('c'), nullable.numOrNull('d')], [1, null, 2, null]);
    nullable.done();
  });
});

describe('RowCursor rows in a buffer', () => {
  it('reads consecutive rows in place, ends each at its line break (LF or CRLF) and finds the next row', () => {
    const bytes = Buffer.from('1.5,2\r\n-3,4.25\n5,6\n');
    assert.deepEqual(rowOfDecimals(bytes, 0, 2), [1.5, 2]);
    assert.equal(new RowCursor().reset(bytes, 0).rowEnd(), 7);
    assert.deepEqual(rowOfDecimals(bytes, 7, 2), [-3, 4.25]);
    assert.deepEqual(rowOfDecimals(bytes, 15, 2), [5, 6]);
    const cursor = new RowCursor().reset(bytes, 0);
    cursor.num('a');
    assert.equal(cursor.raw(), '1.5,2');
  });

  it('ends a row at the end of the buffer when it has no line break', () => {
    const bytes = Buffer.from('7,1.5,true');
    const cursor = new RowCursor().reset(bytes, 0).begin(3, 'row');
    assert.deepEqual([cursor.int('a'), cursor.num('b'), cursor.bool('c')], [7, 1.5, true]);
    cursor.done();
    assert.deepEqual([cursor.rowEnd(), cursor.raw()], [bytes.length, '7,1.5,true']);
    const short = new RowCursor().reset(bytes, 2).begin(3, 'row');
    short.num('a'); short.skip();
    assert.throws(() => short.skip(), /row: expected 3 columns, got 2/);
    assert.equal(new RowCursor().reset(Buffer.from('1,2x'), 0).begin(2, 'row').rowEnd(), 4);
    assert.throws(() => { const c = new RowCursor().reset(Buffer.from('1,2x'), 0); c.num('a'); c.num('b'); }, /column b: expected a decimal number, got "2x"/);
  });

  it('counts the columns of a short or long row and names the row in the message', () => {
    const bytes = Buffer.from('1,2\n1,2,3,4\n');
    const short = new RowCursor().reset(bytes, 0).begin(3, 'kline');
    short.num('a'); short.num('b');
    assert.throws(() => short.num('c'), /kline: expected 3 columns, got 2/);
    const long = new RowCursor().reset(bytes, 4).begin(3, 'kline');
    long.num('a'); long.num('b'); long.num('c');
    assert.throws(() => long.done(), (e: unknown) => e instanceof DecodeError && /kline: expected 3 columns, got 4/.test(e.message) && e.raw === '1,2,3,4');
  });

  it('reads integers and epoch timestamps in ms and µs, and rejects signs, fractions, 17 digits and unsafe values', () => {
    const cursor = new RowCursor().reset('1751328000000,1751328000000000,493').begin(3, 'row');
    assert.deepEqual([cursor.epochUs('a'), cursor.epochUs('b'), cursor.int('c')], [1751328000000000, 1751328000000000, 493]);
    for (const bad of ['', '-1', '1.0', '1e3', '12345678901234567', '1 ', 'x']) {
      assert.throws(() => new RowCursor().reset(bad).int('id'), /column id: expected a non-negative integer/, bad);
    }
    assert.throws(() => new RowCursor().reset('9999999999999999').int('id'), /column id: expected a safe integer/);
    assert.throws(() => new RowCursor().reset('999').epochUs('t'), /column t: expected an epoch timestamp in ms or µs/);
  });

  it('reads booleans at the end of a CRLF row and decodes non-ASCII text cells as UTF-8', () => {
    const bytes = Buffer.from('BTCUSDT,Привет,true\r\n');
    const cursor = new RowCursor().reset(bytes, 0).begin(3, 'row');
    assert.deepEqual([cursor.text('a'), cursor.text('b'), cursor.bool('c')], ['BTCUSDT', 'Привет', true]);
    cursor.done();
    assert.equal(cursor.rowEnd(), bytes.length);
    assert.equal(cursor.raw(), 'BTCUSDT,Привет,true');
    assert.throws(() => new RowCursor().reset(',b').text('t'), /column t: expected a value/);
  });
});
