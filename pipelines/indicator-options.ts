/** `--indicators`, shared by `lakehouse indicators` and `lakehouse serve`. */
import { DEFAULT_INDICATORS } from '../operators/indicator-spec.js';
import type { OptionSpec } from './config.js';

/** The indicators to compute, as `rsi:14,macd:12:26:9,bb:20:2,vwap`. */
export const INDICATORS_OPTION: OptionSpec = {
  name: 'indicators', type: 'list', placeholder: DEFAULT_INDICATORS.join(','),
  doc: 'indicators: rsi:N (Wilder), macd:FAST:SLOW:SIGNAL, bb:N:K (Bollinger), vwap (per UTC day) or vwap:N (rolling N bars)',
};
