import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DecodeError, formatDecimal, normalizeDecimal, parseDecimal } from '../../schemas/index.js';
import { realFixtureText } from '../support/fixtures.js';

const CSV_FIXTURES = [
  'BTCUSDT-1m-2020-01-01.zip', 'BTCUSDT-1m-2020-01-02.zip', 'BTCUSDT-1h-2026-05-08.zip', 'BTCUSDT-1h-2026-05-09.zip',
  'BTCUSDT-fundingRate-2026-04.zip', 'BTCUSD_PERP-aggTrades-2026-05-08.zip', 'ADABTC-1m-2021-11-27.csv',
  'ALGOUSDT-1m-2026-02.first1440rows.csv',
];

describe('decimal strings', () => {
  for (const name of CSV_FIXTURES) {
    it(`round-trips every numeric cell of ${name} through float64`, () => {
      let cells = 0;
      for (const line of realFixtureText(name).split('\n')) {
        if (line === '' || !/^\d/.test(line)) continue;
        for (const cell of line.split(',')) {
          if (!/^-?\d/.test(cell)) continue;
          assert.equal(formatDecimal(parseDecimal(cell)), normalizeDecimal(cell), `cell ${cell} in ${name}`);
          cells++;
        }
      }
      assert.ok(cells > 0, 'the fixture has numeric cells');
    });
  }

  it('round-trips the price and quantity strings of the captured WebSocket frames', () => {
    const text = realFixtureText('BINANCE_FUTURES.ws.1.0') + realFixtureText('BINANCE.ws.1.0');
    const decimals = text.match(/"-?\d+\.\d+"/g) ?? [];
    assert.ok(decimals.length > 1000);
    for (const quoted of decimals) {
      const cell = quoted.slice(1, -1);
      assert.equal(formatDecimal(parseDecimal(cell)), normalizeDecimal(cell));
    }
  });

  it('normalises trailing zeros, signs and exponents', () => {
    assert.equal(normalizeDecimal('7195.24000000'), '7195.24');
    assert.equal(normalizeDecimal('542.0'), '542');
    assert.equal(normalizeDecimal('-0.00003449'), '-0.00003449');
    assert.equal(normalizeDecimal('0.00000000'), '0');
    assert.equal(normalizeDecimal('1e-8'), '0.00000001');
    assert.equal(normalizeDecimal('1.5E3'), '1500');
  });

  it('prints small and large values without exponent notation', () => {
    assert.equal(formatDecimal(1e-8), '0.00000001');
    assert.equal(formatDecimal(1.2e-7), '0.00000012');
    assert.equal(formatDecimal(1e21), '1000000000000000000000');
  });

  it('rejects text that is not a decimal with a DecodeError carrying the raw input', () => {
    for (const bad of ['', 'abc', '1,5', 'NaN', 'Infinity', '0x10', '1.2.3']) {
      assert.throws(() => parseDecimal(bad), (error: unknown) => error instanceof DecodeError && error.raw === bad);
    }
  });
});
