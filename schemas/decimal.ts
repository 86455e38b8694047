/**
 * Exchange prices and quantities arrive as decimal strings (`7195.24000000`, `0.1038`, `542.0`). They are
 * parsed once into float64 and must print back to the same decimal value: every decimal with at most 15
 * significant digits round-trips exactly through a double, and `formatDecimal` prints the shortest form.
 */
import { DecodeError } from './errors.js';

const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Parses a decimal string to a finite float64; throws {@link DecodeError} (with the raw text) otherwise. */
export function parseDecimal(text: string): number {
  const value = Number(text);
  if (text.length === 0 || !Number.isFinite(value) || !DECIMAL.test(text)) {
    throw new DecodeError(`not a decimal number: ${JSON.stringify(text)}`, text);
  }
  return value;
}

/** Prints a float64 as a plain decimal (never exponent notation), shortest form that parses back. */
export function formatDecimal(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const text = String(value);
  if (!/e/i.test(text)) return text;
  return expandExponent(text);
}

/**
 * Normalises a decimal string: no exponent, no leading `+`, no superfluous zeros (`7195.24000000` →
 * `7195.24`, `542.0` → `542`, `-0.0` → `0`). Two strings with the same value normalise equally.
 */
export function normalizeDecimal(text: string): string {
  if (!DECIMAL.test(text)) throw new DecodeError(`not a decimal number: ${JSON.stringify(text)}`, text);
  let plain = /e/i.test(text) ? expandExponent(text) : text;
  let sign = '';
  if (plain.startsWith('-')) { sign = '-'; plain = plain.slice(1); }
  let [int, frac = ''] = plain.split('.');
  int = int.replace(/^0+(?=\d)/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const body = frac.length > 0 ? `${int}.${frac}` : int;
  return body === '0' ? '0' : sign + body;
}

function expandExponent(text: string): string {
  const m = /^(-?)(\d*)\.?(\d*)[eE]([-+]?\d+)$/.exec(text);
  if (m === null) throw new DecodeError(`not a decimal number: ${JSON.stringify(text)}`, text);
  const [, sign, int, frac, expText] = m;
  const digits = (int + frac).replace(/^0+/, '') || '0';
  const point = int.replace(/^0+/, '').length + Number(expText) - (int.replace(/^0+/, '') === '' ? countLeadingZeros(frac) : 0);
  if (digits === '0') return '0';
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + out.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}

function countLeadingZeros(text: string): number {
  const m = /^0*/.exec(text);
  return m === null ? 0 : m[0].length;
}
