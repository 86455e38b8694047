import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DecodeError, classifyTimeUnit, formatUtcDay, nextWindowStartUs, parseEpochUs, parseUtcDateTimeUs, parseUtcDayUs,
  toEpochUs, windowStartUs, isCoarserInterval, parseKlineInterval, ConfigError,
} from '../../schemas/index.js';

describe('time units', () => {
  it('classifies archive timestamps per value by magnitude', () => {
    assert.equal(classifyTimeUnit(1577836800000), 'ms');
    assert.equal(classifyTimeUnit(1778198400000000), 'us');
    assert.equal(classifyTimeUnit(1577836800), 's');
    assert.equal(toEpochUs(1577836800000), 1577836800000000);
    assert.equal(toEpochUs(1778198400000000), 1778198400000000);
  });

  it('parses ms and µs kline open times of real files to the same µs scale', () => {
    assert.equal(parseEpochUs('1577836800000'), Date.UTC(2020, 0, 1) * 1000);
    assert.equal(parseEpochUs('1778198400000000'), Date.UTC(2026, 4, 8) * 1000);
    assert.equal(parseEpochUs('1735693199999999'), 1735693199999999);
  });

  it('rejects non-integer epoch text', () => {
    for (const bad of ['', '12.5', '-1', 'x', '1e12']) assert.throws(() => parseEpochUs(bad), DecodeError);
  });

  it('parses the text timestamps of metrics and bookDepth as UTC', () => {
    assert.equal(parseUtcDateTimeUs('2025-05-19 11:07:31'), Date.UTC(2025, 4, 19, 11, 7, 31) * 1000);
    assert.equal(parseUtcDateTimeUs('2025-05-19T11:07:31.5Z'), Date.UTC(2025, 4, 19, 11, 7, 31) * 1000 + 500000);
    assert.throws(() => parseUtcDateTimeUs('19/05/2025 11:07'), DecodeError);
  });

  it('rejects impossible text timestamps instead of rolling them over into another time', () => {
    for (const bad of ['2025-02-30 00:00:00', '2025-13-01 00:00:00', '2025-05-19 24:00:00', '2025-05-19 11:60:00', '2025-05-19 11:07:60', '2025-00-10 00:00:00']) {
      assert.throws(() => parseUtcDateTimeUs(bad), DecodeError, bad);
    }
    assert.equal(parseUtcDateTimeUs('2024-02-29 23:59:59'), Date.UTC(2024, 1, 29, 23, 59, 59) * 1000);
  });

  it('parses and formats inclusive UTC days and rejects impossible ones', () => {
    assert.equal(formatUtcDay(parseUtcDayUs('2024-02-29')), '2024-02-29');
    assert.throws(() => parseUtcDayUs('2023-02-29'), DecodeError);
    assert.throws(() => parseUtcDayUs('2023-2-1'), DecodeError);
  });
});

describe('kline windows', () => {
  const t = Date.UTC(2025, 6, 16, 13, 47, 12) * 1000; // a Wednesday
  it('aligns fixed intervals to UTC', () => {
    assert.equal(windowStartUs(t, '1m'), Date.UTC(2025, 6, 16, 13, 47) * 1000);
    assert.equal(windowStartUs(t, '4h'), Date.UTC(2025, 6, 16, 12) * 1000);
    assert.equal(windowStartUs(t, '1d'), Date.UTC(2025, 6, 16) * 1000);
  });
  it('starts weeks on Monday', () => {
    assert.equal(windowStartUs(t, '1w'), Date.UTC(2025, 6, 14) * 1000);
    assert.equal(new Date(windowStartUs(t, '1w') / 1000).getUTCDay(), 1);
    assert.equal(nextWindowStartUs(Date.UTC(2025, 6, 14) * 1000, '1w'), Date.UTC(2025, 6, 21) * 1000);
  });
  it('uses calendar months', () => {
    assert.equal(windowStartUs(t, '1M'), Date.UTC(2025, 6, 1) * 1000);
    assert.equal(nextWindowStartUs(Date.UTC(2025, 0, 1) * 1000, '1M'), Date.UTC(2025, 1, 1) * 1000);
    assert.equal(nextWindowStartUs(Date.UTC(2025, 11, 1) * 1000, '1M'), Date.UTC(2026, 0, 1) * 1000);
  });
  it('knows which intervals nest', () => {
    assert.ok(isCoarserInterval('1m', '5m'));
    assert.ok(isCoarserInterval('1m', '1M'));
    assert.ok(isCoarserInterval('1d', '1w'));
    assert.ok(!isCoarserInterval('3d', '1w'));
    assert.ok(!isCoarserInterval('1w', '1M'));
    assert.ok(!isCoarserInterval('5m', '3m'));
  });
  it('accepts the archive spelling 1mo and rejects unknown intervals', () => {
    assert.equal(parseKlineInterval('1mo'), '1M');
    assert.throws(() => parseKlineInterval('7m'), ConfigError);
  });
});
