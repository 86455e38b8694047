import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { from } from 'rxjs';
import { splitRejected, validate, validateRecords, VALIDATION_ERROR, type ValidateOptions } from '../../operators/validate.js';
import { KINDS, type AnyRecord, type DeadLetterRecord } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';
import { aggTradesFromCsv, klinesFromCsv } from '../support/generate-market-day.js';
import { aggTrade, collect, itFollowsTheChecklist, kline, marbles, minute, trade } from './support.js';

async function run(input: readonly AnyRecord[], options: ValidateOptions = {}): Promise<AnyRecord[]> {
  return collect(from(input).pipe(validate(options)));
}

async function reason(record: AnyRecord): Promise<string | undefined> {
  const [out] = await run([record]);
  return out.kind === 'deadLetter' ? out.reason : undefined;
}

describe('validate', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [trade(1, 1), trade(2, 2), trade(3, 3)];
    itFollowsTheChecklist({
      operator: () => validate(),
      throwing: () => validate({ check: () => { throw new Error('boom'); } }),
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a, b, c } },
      nth: (i) => trade(i, i),
    });
  });

  it('replaces an implausible kline by a dead letter with every field filled, and the stream continues', () => {
    const good = kline(minute(0));
    const bad = kline(minute(1), { low: 101, ingestId: 'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2026-05-08.zip:2' });
    const dead: DeadLetterRecord = {
      kind: 'deadLetter', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: bad.eventTimeUs,
      source: 'archive', receiveTimeUs: null, ingestId: bad.ingestId, version: bad.version, errorName: VALIDATION_ERROR,
      reason: 'low 101 is above open 100 or close 100.5', raw: JSON.stringify(bad),
      originFile: 'data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2026-05-08.zip', originLine: 2,
    };
    marbles(({ cold, expectObservable }) => {
      expectObservable(cold('gbg|', { g: good, b: bad }).pipe(validate())).toBe('gdg|', { g: good, d: dead });
    });
    const fields = KINDS.deadLetter.fields.map((f) => f.name);
    assert.deepEqual(Object.keys(dead).filter((k) => k !== 'kind').sort(), [...fields].sort());
  });

  it('checks OHLC order, non-negative amounts and aligned windows of klines', async () => {
    assert.match(await reason(kline(minute(0), { high: 99.5 })) ?? '', /high 99.5 is below/);
    assert.match(await reason(kline(minute(0), { volume: -1 })) ?? '', /volume is negative/);
    assert.match(await reason(kline(minute(0), { takerBuyVolume: 3 })) ?? '', /takerBuyVolume 3 exceeds volume 2/);
    assert.match(await reason(kline(minute(0) + 5)) ?? '', /not aligned to 1m/);
    assert.match(await reason(kline(minute(0), { closeTimeUs: minute(1) })) ?? '', /outside the 1m window/);
    assert.equal(await reason(kline(minute(0), { priceKind: 'premium', open: -0.001, high: 0.001, low: -0.002, close: 0 })), undefined);
  });

  it('rejects negative trade and aggTrade quantities, naming the first one, and accepts zero', async () => {
    assert.equal(await reason(trade(1, 1, { qty: 0, quoteQty: 0 })), undefined);
    assert.match(await reason(trade(1, 1, { qty: -0.5 })) ?? '', /^qty is negative: -0.5$/);
    assert.match(await reason(trade(1, 1, { quoteQty: -1 })) ?? '', /^quoteQty is negative: -1$/);
    assert.match(await reason(trade(1, 1, { qty: null, quoteQty: null, contracts: 2, baseQty: -3 })) ?? '', /^baseQty is negative: -3$/);
    assert.match(await reason(aggTrade(1, 1, { qty: null, contracts: -2 })) ?? '', /^contracts is negative: -2$/);
    assert.equal(await reason(aggTrade(1, 1, { qty: null, contracts: 2 })), undefined);
  });

  it('checks the schema: missing fields, wrong types, unknown enum values and kinds', async () => {
    const { qty: _qty, ...missing } = trade(1, 1);
    assert.match(await reason(missing as unknown as AnyRecord) ?? '', /^qty is not a finite number/);
    assert.match(await reason(trade(1, 1, { price: Number.NaN })) ?? '', /^price is not a finite number/);
    assert.match(await reason({ ...trade(1, 1), market: 'moon' } as unknown as AnyRecord) ?? '', /^market is not one of/);
    assert.match(await reason({ ...trade(1, 1), isBuyerMaker: null } as unknown as AnyRecord) ?? '', /^isBuyerMaker is null/);
    assert.match(await reason({ ...trade(1, 1), kind: 'candle' } as unknown as AnyRecord) ?? '', /^unknown kind "candle"/);
  });

  it('lets ids out of order and repeats pass: order is not an error (dedupe settles repeats)', async () => {
    const input = [trade(5, 5), trade(6, 6), trade(6, 6), trade(4, 7), trade(3, 3, { source: 'ws' }), aggTrade(9, 1), aggTrade(8, 2)];
    assert.deepEqual(await run(input), input);
    assert.deepEqual(validateRecords(input), input);
  });

  it('splits validator output into the accepted records, in order, and the dead letters (splitRejected)', () => {
    const good = [trade(1, minute(0)), trade(2, minute(0)), trade(4, minute(1))];
    const clean = validateRecords(good);
    assert.equal(splitRejected(clean).kept, clean, 'no copy when nothing was rejected');
    assert.deepEqual(splitRejected(clean).rejected, []);
    const out = validateRecords([good[0]!, trade(0, minute(0), { price: 0 }), good[1]!, trade(3, minute(0), { price: -1 }), good[2]!]);
    const { kept, rejected } = splitRejected(out);
    assert.deepEqual(kept, good);
    assert.deepEqual(rejected.map((r) => r.kind), ['deadLetter', 'deadLetter']);
  });

  it('validates an array synchronously (validateRecords) with exactly the operator\'s output', async () => {
    const input: AnyRecord[] = [trade(5, 5), trade(6, 6), trade(6, 6), trade(4, 7), trade(3, 3, { source: 'ws' }), aggTrade(9, 1), aggTrade(8, 2),
      kline(minute(3), { low: 999 }), kline(minute(4)), { ...trade(7, 8), price: -1 }];
    assert.deepEqual(validateRecords(input), await run(input));
    assert.deepEqual(validateRecords([]), []);
  });

  it('checks trades and aggTrades: positive price, a quantity, first id not after last', async () => {
    assert.match(await reason(trade(1, 1, { price: 0 })) ?? '', /price 0 is not positive/);
    assert.match(await reason(trade(1, 1, { qty: null })) ?? '', /neither qty nor contracts/);
    assert.match(await reason(aggTrade(1, 1, { firstTradeId: 9, lastTradeId: 8 })) ?? '', /firstTradeId 9 exceeds lastTradeId 8/);
  });

  it('accepts every row of the real kline and aggTrade fixtures', async () => {
    const records: AnyRecord[] = [
      ...klinesFromCsv(realFixtureText('BTCUSDT-1m-2020-01-01.zip'), { market: 'spot', symbol: 'BTCUSDT' }),
      ...klinesFromCsv(realFixtureText('ALGOUSDT-1m-2026-02.first1440rows.csv'), { market: 'um', symbol: 'ALGOUSDT' }),
      ...klinesFromCsv(realFixtureText('BTCUSDT-1h-2026-05-08.zip'), { market: 'spot', symbol: 'BTCUSDT' }, '1h'),
      ...aggTradesFromCsv(realFixtureText('BTCUSD_PERP-aggTrades-2026-05-08.zip'), { market: 'cm', symbol: 'BTCUSD_PERP' }),
    ];
    const dead = (await run(records)).filter((r) => r.kind === 'deadLetter');
    assert.deepEqual(dead, []);
  });

  it('passes gap and dead-letter records through unchecked', async () => {
    const [letter] = await run([kline(minute(0), { low: 500 })]);
    assert.deepEqual(await run([letter]), [letter]);
  });
});
