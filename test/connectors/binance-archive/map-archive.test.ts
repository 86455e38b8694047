import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DecodeError } from '../../../schemas/errors.js';
import { formatDecimal } from '../../../schemas/decimal.js';
import { isHeaderLine } from '../../../connectors/binance-archive/csv.js';
import { rowMapperFor, type RowContext } from '../../../connectors/binance-archive/map-archive-row.js';
import { RowCursor } from '../../../connectors/binance-archive/row-cursor.js';
import type { ArchiveDataType } from '../../../connectors/binance-archive/data-types.js';

const mapRow = (type: ArchiveDataType, line: string, context: RowContext) => rowMapperFor(type)(new RowCursor().reset(line), context);
import { realFixtureText } from '../../support/fixtures.js';

const ctx = (over: Partial<RowContext>): RowContext => ({
  market: 'spot', symbol: 'BTCUSDT', interval: '1m', priceKind: 'trade', ingestId: 'k.zip', version: 7, ...over,
});
const lines = (name: string): string[] => realFixtureText(name).split('\n').filter((l) => l !== '');
const quoted = (marker: string): string[] => {
  const text = realFixtureText('github-issue-quoted-archive-rows.txt');
  const block = text.slice(text.indexOf(marker)).split('\n### https')[0] ?? '';
  return block.split('\n').slice(1).filter((l) => l !== '' && !l.startsWith('###'));
};

describe('archive row mappers', () => {
  it('maps real spot ms klines and prints prices back to the same decimals', () => {
    const [first] = lines('BTCUSDT-1m-2020-01-01.zip');
    const k = mapRow('klines', first ?? '', ctx({}));
    assert.equal(k.kind, 'kline');
    if (k.kind !== 'kline') return;
    assert.equal(k.openTimeUs, 1577836800000000);
    assert.equal(k.closeTimeUs, 1577836859999000);
    assert.equal(formatDecimal(k.open), '7195.24');
    assert.equal(k.volume, 51.642812);
    assert.equal(k.quoteVolume, 371233.51835535);
    assert.equal(k.tradeCount, 493);
    assert.equal(k.contracts, null);
    assert.equal(k.version, 7);
  });

  it('maps real spot µs klines (2026) and 1s µs klines quoted from issue 386', () => {
    const [first] = lines('BTCUSDT-1h-2026-05-08.zip');
    const k = mapRow('klines', first ?? '', ctx({ interval: '1h' }));
    assert.equal(k.eventTimeUs, 1778198400000000);
    assert.ok(k.kind === 'kline' && k.closeTimeUs === 1778198400000000 + 3_599_999_999);
    const [oneS] = quoted('issues/386');
    const s = mapRow('klines', oneS ?? '', ctx({ interval: '1s' }));
    assert.ok(s.kind === 'kline' && s.openTimeUs === 1735689600000000 && s.closeTimeUs === 1735689600999999);
  });

  it('maps um klines after a sniffed header', () => {
    const [header, first] = lines('ALGOUSDT-1m-2026-02.first1440rows.csv');
    assert.ok(isHeaderLine(header ?? ''));
    assert.ok(!isHeaderLine(first ?? ''));
    const k = mapRow('klines', first ?? '', ctx({ market: 'um', symbol: 'ALGOUSDT' }));
    assert.ok(k.kind === 'kline' && k.eventTimeUs === Date.UTC(2026, 1, 1) * 1000 && k.volume !== null);
  });

  it('keeps COIN-M kline semantics: contracts in col 6 and base volume in col 8', () => {
    const rows = quoted('BTCUSD_PERP-1h-2023-10-27');
    assert.ok(isHeaderLine(rows[0] ?? ''));
    const k = mapRow('klines', rows[1] ?? '', ctx({ market: 'cm', symbol: 'BTCUSD_PERP', interval: '1h' }));
    assert.ok(k.kind === 'kline');
    if (k.kind !== 'kline') return;
    assert.equal(k.contracts, 409953);
    assert.equal(k.baseVolume, 1202.97118037);
    assert.equal(k.takerBuyContracts, 192220);
    assert.equal(k.takerBuyBaseVolume, 564.12041453);
    assert.equal(k.volume, null);
    assert.equal(k.quoteVolume, null);
  });

  it('maps real cm aggTrades: contracts and lowercase booleans', () => {
    const all = lines('BTCUSD_PERP-aggTrades-2026-05-08.zip');
    const c = ctx({ market: 'cm', symbol: 'BTCUSD_PERP', interval: null, priceKind: null });
    const first = mapRow('aggTrades', all[1] ?? '', c);
    assert.ok(first.kind === 'aggTrade');
    if (first.kind !== 'aggTrade') return;
    assert.equal(first.contracts, 542);
    assert.equal(first.qty, null);
    assert.equal(first.isBuyerMaker, false);
    assert.equal(first.isBestMatch, null);
    assert.equal(first.eventTimeUs, 1778198400020000);
    const trues = all.slice(1).filter((l) => l.endsWith(',true')).length;
    assert.equal(trues, 51256);
  });

  it('floors fundingRate calc_time jitter to the minute and keeps the exact time', () => {
    const all = lines('BTCUSDT-fundingRate-2026-04.zip').slice(1);
    const c = ctx({ market: 'um', interval: null, priceKind: null });
    const records = all.map((l) => mapRow('fundingRate', l, c));
    assert.equal(records.length, 90);
    for (const r of records) {
      assert.ok(r.kind === 'fundingRate');
      if (r.kind !== 'fundingRate') continue;
      assert.equal(r.fundingTimeUs % (8 * 3600 * 1_000_000), 0);
      assert.ok((r.calcTimeUs ?? 0) - r.fundingTimeUs < 60_000_000);
    }
    assert.ok(records.some((r) => r.kind === 'fundingRate' && r.calcTimeUs !== r.fundingTimeUs));
  });

  it('maps quoted bookDepth rows with text timestamps', () => {
    const rows = quoted('BTCUSDT-bookDepth-2025-05-19');
    assert.ok(isHeaderLine(rows[0] ?? ''));
    const d = mapRow('bookDepth', rows[1] ?? '', ctx({ market: 'um', interval: null, priceKind: null }));
    assert.ok(d.kind === 'bookDepth' && d.eventTimeUs === Date.UTC(2025, 4, 19, 11, 7, 31) * 1000 && d.percentage === -5 && d.depth === 7885.275);
  });

  it('maps a metrics row rebuilt from the issue 211 display form', () => {
    const [, row] = quoted('issues/211').map((l) => l.split(/\s+/).join(','));
    const cells = (row ?? '').split(',');
    cells[0] = `${cells[0]} 00:05:00`;
    const m = mapRow('metrics', cells.join(','), ctx({ market: 'um', interval: null, priceKind: null }));
    assert.ok(m.kind === 'metrics' && m.sumOpenInterest === 98666.163 && m.eventTimeUs === Date.UTC(2023, 0, 21, 0, 5) * 1000);
  });

  it('maps spot trades (7 columns, True/False) and um/cm trades (6 columns)', () => {
    const spot = mapRow('trades', '1,100.5,0.1,10.05,1735689600010866,True,True', ctx({ interval: null, priceKind: null }));
    assert.ok(spot.kind === 'trade' && spot.isBuyerMaker && spot.isBestMatch === true && spot.eventTimeUs === 1735689600010866 && spot.quoteQty === 10.05);
    const cm = mapRow('trades', '9,30000.1,5,0.0166,1700000000000,false', ctx({ market: 'cm', interval: null, priceKind: null }));
    assert.ok(cm.kind === 'trade' && cm.contracts === 5 && cm.baseQty === 0.0166 && cm.qty === null && cm.isBestMatch === null);
  });

  it('throws DecodeError naming the column for malformed rows', () => {
    assert.throws(() => mapRow('klines', '1577836800000,abc,1,1,1,1,1577836859999,1,1,1,1,0', ctx({})), (e: unknown) => e instanceof DecodeError && /column open/.test(e.message));
    assert.throws(() => mapRow('klines', '1577836800000,1,1', ctx({})), /expected 12 columns, got 3/);
    assert.throws(() => mapRow('klines', '1577836800000,1,1,1,1,1,1577836859999,1,1,1,1,0,extra', ctx({})), /expected 12 columns, got 13/);
    assert.throws(() => mapRow('klines', '15778368000.5,1,1,1,1,1,1577836859999,1,1,1,1,0', ctx({})), /column open_time: expected a non-negative integer/);
    assert.throws(() => mapRow('klines', '1577836,1,1,1,1,1,1577836859999,1,1,1,1,0', ctx({})), /column open_time: expected an epoch timestamp/);
    assert.throws(() => mapRow('trades', '1,1,1,1,1577836800000,yes,True', ctx({ interval: null })), /is_buyer_maker: expected true or false/);
  });
});

describe('RowCursor', () => {
  it('parses decimals exactly like Number() across lengths, signs, zeros and exponents', () => {
    const cursor = new RowCursor();
    let seed = 12345;
    const random = (): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const digits = (n: number): string => Array.from({ length: n }, () => String(Math.floor(random() * 10))).join('');
    const samples = ['0', '-0', '0.0', '7195.24000000', '542.0', '0.00000001', '-0.00003449', '123456789012345678901234', '1e-5', '2.5E3', '9007199254740993', '0.1', '0.30000000000000004'];
    for (let i = 0; i < 20_000; i++) {
      const int = digits(1 + Math.floor(random() * 12));
      const frac = digits(Math.floor(random() * 14));
      samples.push(`${random() < 0.2 ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}`);
    }
    for (const text of samples) assert.equal(Object.is(cursor.reset(text).num('x'), Number(text)), true, text);
  });

  it('rejects what is not a decimal, an integer or a boolean, naming the column', () => {
    const cursor = new RowCursor();
    for (const bad of ['', '-', '.', '1.2.3', '0x10', 'NaN', 'Infinity', ' 1', '1e999']) {
      assert.throws(() => cursor.reset(bad).num('price'), /column price: expected a decimal number/, bad);
    }
    assert.throws(() => cursor.reset('-1').int('id'), /column id: expected a non-negative integer/);
    assert.throws(() => cursor.reset('12345678901234567').int('id'), /expected a non-negative integer/);
    assert.throws(() => cursor.reset('yes').bool('m'), /column m: expected true or false/);
    assert.deepEqual(['true', 'True', 'TRUE', 'false', 'False', 'FALSE'].map((t) => cursor.reset(t).bool('m')), [true, true, true, false, false, false]);
  });

  it('reads a row in place inside a larger text and reports the row alone', () => {
    const text = 'x,y\n1,2.5,true\nz';
    const cursor = new RowCursor().reset(text, 4, 14).begin(3, 'row');
    assert.deepEqual([cursor.int('a'), cursor.num('b'), cursor.bool('c')], [1, 2.5, true]);
    cursor.done();
    assert.equal(cursor.raw(), '1,2.5,true');
    assert.throws(() => new RowCursor().reset(text, 4, 14).begin(2, 'row').done(), /row: expected 2 columns, got 3/);
  });
});
