import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { from, of, throwError, type Observable } from 'rxjs';
import { fillGaps, type FillGapsOptions } from '../../operators/fill-gaps.js';
import { detectGaps, gapVersion } from '../../operators/detect-gaps.js';
import { gapFate } from '../../operators/gap-fill-plan.js';
import { resample } from '../../operators/resample.js';
import {
  parseUtcDayUs, rankOfVersion, streamKeyOf, US_PER_DAY, type AnyRecord, type GapRecord, type KlineRecord,
} from '../../schemas/index.js';
import { generateMarketDay, klinesFromCsv, tradesFromCsv } from '../support/generate-market-day.js';
import { assertKlinesEquivalent, collect, itFollowsTheChecklist, kline, marbles, minute } from './support.js';

const STREAM = 'binance.spot.kline.trade.1m.BTCUSDT';

function openGap(fromMinute: number, toMinute: number): GapRecord {
  return {
    kind: 'gap', exchange: 'binance', market: 'spot', symbol: 'BTCUSDT', eventTimeUs: minute(fromMinute), source: 'archive',
    receiveTimeUs: null, ingestId: 'test', version: gapVersion('open'), stream: STREAM, dataType: 'kline', interval: '1m',
    fromUs: minute(fromMinute), toUs: minute(toMinute), fromId: null, toId: null, cause: 'archive_missing', state: 'open',
    filledCount: 0, detail: 'interior',
  };
}

async function fill(input: readonly AnyRecord[], options: FillGapsOptions): Promise<AnyRecord[]> {
  return collect(from(input).pipe(fillGaps(options)));
}

const fates = (records: AnyRecord[]): GapRecord[] => records.filter((r): r is GapRecord => r.kind === 'gap' && r.state !== 'open');

describe('fillGaps', () => {
  describe('marble checklist', () => {
    const [a, b, c] = [kline(minute(0)), kline(minute(1)), kline(minute(2))];
    itFollowsTheChecklist({
      operator: () => fillGaps({ policy: 'flat' }),
      throwing: () => fillGaps({ policy: 'rest', fetch: () => { throw new Error('boom'); } }),
      throwingValues: { a: openGap(0, 1), b },
      endless: { values: { a, b, c }, expected: '-a-b-c-', expectedValues: { a, b, c } },
      nth: (i) => kline(minute(i)),
    });
  });

  it('holds records behind a gap while REST fetches it, then emits the fate, the authentic records and the rest in order', () => {
    const [a, b] = [kline(minute(0)), kline(minute(3))];
    const g = openGap(1, 3);
    const [x, y] = [kline(minute(1), {}, '1m', 'rest'), kline(minute(2), {}, '1m', 'rest')];
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const response = cold('---(xy|)', { x, y });
      const source = cold('-ag-b-------|', { a, g, b });
      const f = gapFate(g, 'filled', 2, 'rest: 2 records');
      expectObservable(source.pipe(fillGaps({ policy: 'rest', fetch: () => response }))).toBe('-ag--(fxyb)-|', { a, g, f, x, y, b });
      expectSubscriptions(response.subscriptions).toBe('--^--!');
    });
  });

  it('unsubscribes from an in-flight REST fetch when the subscriber unsubscribes', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const response = cold<AnyRecord>('------(x|)', { x: kline(minute(1), {}, '1m', 'rest') });
      const source = cold('-g-a---', { g: openGap(1, 2), a: kline(minute(2)) });
      expectObservable(source.pipe(fillGaps({ policy: 'rest', fetch: () => response })), '^---!').toBe('-g--', { g: openGap(1, 2) });
      expectSubscriptions(response.subscriptions).toBe('-^--!');
      expectSubscriptions(source.subscriptions).toBe('^---!');
    });
  });

  it('flat-fills missing windows with the previous close, zero volume and source fill, below every real source', async () => {
    const out = await fill([kline(minute(0), { close: 123 }), openGap(1, 3), kline(minute(3))], { policy: 'flat' });
    const filled = out.filter((r): r is KlineRecord => r.kind === 'kline' && r.source === 'fill');
    assert.deepEqual(filled.map((k) => [k.openTimeUs, k.open, k.high, k.low, k.close, k.volume, k.tradeCount, k.quoteVolume]), [
      [minute(1), 123, 123, 123, 123, 0, 0, 0], [minute(2), 123, 123, 123, 123, 0, 0, 0],
    ]);
    assert.equal(rankOfVersion(filled[0].version), 1);
    assert.deepEqual(fates(out).map((g) => [g.state, g.filledCount]), [['filled', 2]]);
    assert.ok(fates(out)[0].version > gapVersion('open'));
  });

  it('marks a leading gap unfillable under the flat policy and reports gaps under policy none', async () => {
    assert.deepEqual(fates(await fill([openGap(0, 2), kline(minute(2))], { policy: 'flat' })).map((g) => g.state), ['unfillable']);
    const reported = fates(await fill([kline(minute(0)), openGap(1, 2)], { policy: 'none' }));
    assert.deepEqual(reported.map((g) => [g.state, g.filledCount]), [['reported', 0]]);
  });

  it('turns what REST cannot supply into exchange_outage gaps, and a failed fetch into an unfillable gap', async () => {
    const partial = await fill([openGap(1, 5)], { policy: 'rest', fetch: () => of(kline(minute(2), {}, '1m', 'ws'), kline(minute(9))) });
    assert.deepEqual(fates(partial).map((g) => [g.state, g.cause, g.fromUs, g.toUs, g.filledCount]), [
      ['partial', 'archive_missing', minute(1), minute(5), 1], ['unfillable', 'exchange_outage', minute(1), minute(2), 0],
      ['unfillable', 'exchange_outage', minute(3), minute(5), 0],
    ]);
    const fetched = partial.filter((r) => r.kind === 'kline');
    assert.deepEqual(fetched.map((r) => [r.eventTimeUs, r.source, rankOfVersion(r.version)]), [[minute(2), 'rest', 4]]);
    const empty = fates(await fill([openGap(1, 5)], { policy: 'rest', fetch: () => of() }));
    assert.deepEqual(empty.map((g) => [g.state, g.cause]), [['unfillable', 'exchange_outage']]);
    const failed = fates(await fill([openGap(1, 5)], { policy: 'rest', fetch: () => throwError(() => new Error('HTTP 500')) }));
    assert.deepEqual(failed.map((g) => [g.state, g.cause, g.detail]), [['unfillable', 'unfillable', 'REST fetch failed: Error: HTTP 500']]);
  });

  it('reproduces the archive klines of minutes without trades (resample, detect gaps, flat-fill), and the filled minutes resample like the trades', async () => {
    const emptyMinutes = [3, 4, 500, 1439];
    const day = generateMarketDay({ market: 'spot', symbol: 'BTCUSDT', day: '2024-06-01', timeUnit: 'ms', seed: 9, emptyMinutes });
    const origin = { market: 'spot', symbol: 'BTCUSDT' } as const;
    const dayUs = parseUtcDayUs('2024-06-01');
    const out = await collect(from(tradesFromCsv(day.trades, origin)).pipe(
      resample({ intervals: ['1m'], passThrough: false }),
      detectGaps({ range: { fromUs: dayUs, toUs: dayUs + US_PER_DAY } }),
      fillGaps({ policy: 'flat' }),
    ));
    const klines = out.filter((r): r is KlineRecord => r.kind === 'kline');
    assertKlinesEquivalent(klines, klinesFromCsv(day.klines1m, origin));
    assert.equal(klines.filter((k) => k.source === 'fill').length, emptyMinutes.length);
    const coarse = (input: AnyRecord[], interval: string) => collect(from(input).pipe(resample({ intervals: ['5m', '1h'], passThrough: false })))
      .then((out) => out.filter((r): r is KlineRecord => r.kind === 'kline' && r.interval === interval));
    for (const interval of ['5m', '1h']) {
      assertKlinesEquivalent(await coarse(klines, interval), await coarse(tradesFromCsv(day.trades, origin), interval));
    }
  });

  describe('laws (property tests)', () => {
    const holes = fc.array(fc.boolean(), { minLength: 2, maxLength: 120 });
    const rest = (gap: GapRecord): Observable<AnyRecord> => of(...[gap.fromUs, gap.toUs - 60_000_000]
      .filter((t) => t >= gap.fromUs).map((t) => kline(t, {}, '1m', 'rest')));

    for (const policy of ['flat', 'rest', 'none'] as const) {
      it(`never emits a stream's records out of event-time order (policy ${policy})`, async () => {
        await fc.assert(fc.asyncProperty(holes, async (present) => {
          const input = present.flatMap((here, i) => (here || i === 0 ? [kline(minute(i))] : []));
          const out = await collect(from(input).pipe(detectGaps(), fillGaps({ policy, fetch: rest })));
          const times = out.filter((r) => streamKeyOf(r) === STREAM).map((r) => r.eventTimeUs);
          assert.deepEqual(times, [...times].sort((x, y) => x - y));
          for (const gap of out.filter((r): r is GapRecord => r.kind === 'gap' && r.state === 'open')) {
            assert.equal(fates(out).filter((f) => f.fromUs === gap.fromUs && f.toUs === gap.toUs).length, 1, 'one fate per gap');
          }
        }), { numRuns: 80 });
      });
    }
  });
});
