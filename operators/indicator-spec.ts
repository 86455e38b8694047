/**
 * The indicators the gold layer computes, as the command line spells them (`rsi:14`, `macd:12:26:9`, `bb:20:2`,
 * `vwap`, `vwap:20`), parsed once into {@link IndicatorSpec}s with canonical parameter strings — the `params`
 * column of the `indicator` kind, part of its identity key.
 */
import { ConfigError, INDICATORS, type IndicatorName } from '../schemas/index.js';

/** One configured indicator. */
export type IndicatorSpec =
  | { readonly name: 'rsi'; readonly params: string; readonly period: number }
  | { readonly name: 'macd'; readonly params: string; readonly fast: number; readonly slow: number; readonly signal: number }
  | { readonly name: 'bb'; readonly params: string; readonly period: number; readonly k: number }
  /** `period` 0: per UTC session day. */
  | { readonly name: 'vwap'; readonly params: string; readonly period: number };

/** The set `--indicators` defaults to in help texts: every indicator with its usual parameters. */
export const DEFAULT_INDICATORS = ['rsi:14', 'macd:12:26:9', 'bb:20:2', 'vwap'] as const;

/** The largest period accepted (bars); bounds the history an indicator keeps per stream. */
export const MAX_INDICATOR_PERIOD = 10_000;

function period(text: string | undefined, what: string, spec: string): number {
  const n = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || n < 1 || n > MAX_INDICATOR_PERIOD) {
    throw new ConfigError(`indicator ${JSON.stringify(spec)}: ${what} must be a whole number of bars from 1 to ${MAX_INDICATOR_PERIOD}`);
  }
  return n;
}

function arity(parts: readonly string[], allowed: readonly number[], spec: string, form: string): void {
  if (!allowed.includes(parts.length - 1)) throw new ConfigError(`indicator ${JSON.stringify(spec)}: expected ${form}`);
}

/** Parses one indicator (`rsi:14`, `macd:12:26:9`, `bb:20:2`, `vwap`, `vwap:20`); throws {@link ConfigError}. */
export function parseIndicatorSpec(text: string): IndicatorSpec {
  const spec = text.trim();
  const parts = spec.split(':');
  const name = parts[0] as IndicatorName;
  switch (name) {
    case 'rsi': {
      arity(parts, [1], spec, 'rsi:N');
      const n = period(parts[1], 'N', spec);
      if (n < 2) throw new ConfigError(`indicator ${JSON.stringify(spec)}: rsi needs N ≥ 2`);
      return { name, params: `${n}`, period: n };
    }
    case 'macd': {
      arity(parts, [3], spec, 'macd:FAST:SLOW:SIGNAL');
      const [fast, slow, signal] = [period(parts[1], 'FAST', spec), period(parts[2], 'SLOW', spec), period(parts[3], 'SIGNAL', spec)];
      if (fast >= slow) throw new ConfigError(`indicator ${JSON.stringify(spec)}: FAST must be shorter than SLOW`);
      return { name, params: `${fast}:${slow}:${signal}`, fast, slow, signal };
    }
    case 'bb': {
      arity(parts, [2], spec, 'bb:N:K');
      const n = period(parts[1], 'N', spec);
      const k = Number(parts[2]);
      if (!/^\d+(\.\d+)?$/.test(parts[2]) || !(k > 0)) throw new ConfigError(`indicator ${JSON.stringify(spec)}: K must be a positive number of standard deviations`);
      return { name, params: `${n}:${k}`, period: n, k };
    }
    case 'vwap': {
      arity(parts, [0, 1], spec, 'vwap (per UTC day) or vwap:N (rolling N bars)');
      if (parts.length === 1 || parts[1] === 'session') return { name, params: 'session', period: 0 };
      const n = period(parts[1], 'N', spec);
      return { name, params: `${n}`, period: n };
    }
    default:
      throw new ConfigError(`unknown indicator ${JSON.stringify(spec)}; expected one of ${INDICATORS.join(', ')} (e.g. ${DEFAULT_INDICATORS.join(',')})`);
  }
}

/** Parses a list; a repeated indicator (same name and parameters) is an error. */
export function parseIndicatorSpecs(texts: readonly string[]): IndicatorSpec[] {
  const specs = texts.map(parseIndicatorSpec);
  const seen = new Set<string>();
  for (const spec of specs) {
    const key = `${spec.name}:${spec.params}`;
    if (seen.has(key)) throw new ConfigError(`indicator ${key} is listed twice`);
    seen.add(key);
  }
  return specs;
}
