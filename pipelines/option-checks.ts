/**
 * The value rules of an option, applied once by `resolveConfig` to every resolved value (flag, environment,
 * config file or default) before a command runs: number bounds (`integer`, `min`, `max`, `above`) and what a
 * string must name (`check`). A rule broken is a {@link OptionProblem}: what was expected and why the value is not
 * that, which `resolveConfig` turns into a ConfigError naming the option and the value (exit status 2).
 *
 * Paths are checked on the file system as it is when the command starts. A path that resolves (through
 * symbolic links) under /proc, /sys or /dev is refused for every kind: those are not storage, and their
 * files never end (`/dev/zero`), block (`/dev/stdin`) or loop (`/proc/self/cwd/…`). A symbolic-link loop
 * is refused too.
 */
import { lstatSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { isManifestText } from '../connectors/binance-archive/manifest.js';
import { isS3Url, parseS3Url } from '../connectors/s3/s3-url.js';

/**
 * What a string option (or each element of a list option) must name:
 * - `file`: an existing regular file, to read;
 * - `dir`: a directory to write into, created if absent: not an existing non-directory;
 * - `lake`: `s3://bucket/prefix`, or a `dir`;
 * - `archive`: an http(s) URL, `s3://bucket/prefix`, or an existing directory;
 * - `manifest`: a file the command updates in place: absent, or a regular file that parses as a backfill
 *   manifest (anything else is refused rather than overwritten);
 * - `url`: an absolute http, https, ws or wss URL;
 * - `hostPort`: `host:port` with a port from 1 to 65535.
 */
export type OptionCheck = 'file' | 'dir' | 'lake' | 'archive' | 'manifest' | 'url' | 'hostPort';

/** The value rules an option declares (part of its OptionSpec). */
export interface OptionRules {
  /** Numbers: whole numbers only. */
  readonly integer?: boolean;
  /** Numbers: the smallest value allowed. */
  readonly min?: number;
  /** Numbers: the largest value allowed. */
  readonly max?: number;
  /** Numbers: values must be greater than this. */
  readonly above?: number;
  /** Strings (each element of a list): what the value must name, e.g. an existing file. */
  readonly check?: OptionCheck;
}

/** A broken rule: `--flag expects <expected>, got <value> (<reason>)`. */
export interface OptionProblem {
  readonly expected: string;
  readonly reason?: string;
}

/** Largest delay Node's timers take (2^31 − 1 ms); beyond it a timer fires at once. */
export const MAX_TIMER_MS = 2_147_483_647;

const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev'];

/** What a number option takes, in words (`an integer from 0 to 65535`). */
export function expectedNumber(spec: OptionRules): string {
  const noun = spec.integer === true ? 'an integer' : 'a number';
  if (spec.min !== undefined && spec.max !== undefined) return `${noun} from ${spec.min} to ${spec.max}`;
  const bounds = [
    ...(spec.above === undefined ? [] : [`greater than ${spec.above}`]),
    ...(spec.min === undefined ? [] : [`of at least ${spec.min}`]),
    ...(spec.max === undefined ? [] : [`of at most ${spec.max}`]),
  ];
  return [noun, ...bounds].join(' ');
}

function numberProblem(spec: OptionRules, n: number): OptionProblem | undefined {
  const ok = (spec.integer !== true || Number.isSafeInteger(n)) && (spec.min === undefined || n >= spec.min)
    && (spec.max === undefined || n <= spec.max) && (spec.above === undefined || n > spec.above);
  return ok ? undefined : { expected: expectedNumber(spec) };
}

function statOf(path: string, follow: boolean): Stats | undefined {
  try {
    return follow ? statSync(path) : lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The path with symbolic links resolved as far as it exists (the rest appended as given). */
function realPathOf(path: string): string {
  const absolute = resolve(path);
  if (statOf(absolute, false) !== undefined) return realpathSync(absolute);
  const parent = dirname(absolute);
  return parent === absolute ? absolute : join(realPathOf(parent), basename(absolute));
}

/** Why a local path cannot be used at all (blank, a link loop, a pseudo file system), or undefined. */
function localPathReason(path: string): string | undefined {
  if (path.trim() === '') return 'an empty path';
  let real: string;
  try {
    real = realPathOf(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ELOOP' ? 'a symbolic-link loop' : `cannot be resolved: ${code ?? (error as Error).message}`;
  }
  const under = (root: string): boolean => [resolve(path), real].some((p) => p === root || p.startsWith(`${root}/`));
  const root = PSEUDO_FILE_SYSTEMS.find(under);
  return root === undefined ? undefined : `under ${root}, which is not storage`;
}

function fileProblem(path: string, expected: string): OptionProblem | undefined {
  const reason = localPathReason(path) ?? (() => {
    const stats = statOf(path, true);
    if (stats === undefined) return 'no such file';
    return stats.isFile() ? undefined : stats.isDirectory() ? 'a directory' : 'not a regular file';
  })();
  return reason === undefined ? undefined : { expected, reason };
}

function dirProblem(path: string, expected: string, mustExist: boolean): OptionProblem | undefined {
  const reason = localPathReason(path) ?? (() => {
    const stats = statOf(path, true);
    if (stats === undefined) return mustExist ? 'no such directory' : undefined;
    return stats.isDirectory() ? undefined : 'exists and is not a directory';
  })();
  return reason === undefined ? undefined : { expected, reason };
}

function manifestProblem(path: string): OptionProblem | undefined {
  const expected = 'a new file or an existing backfill manifest';
  const unusable = fileProblem(path, expected);
  if (unusable === undefined) {
    if (isManifestText(readFileSync(path, 'utf8'))) return undefined;
    return { expected, reason: 'an existing file that is not a backfill manifest; it is not overwritten' };
  }
  return unusable.reason === 'no such file' ? undefined : unusable;
}

function s3Problem(url: string, expected: string): OptionProblem | undefined {
  try {
    parseS3Url(url);
    return undefined;
  } catch (error) {
    return { expected, reason: (error as Error).message };
  }
}

function urlProblem(text: string): OptionProblem | undefined {
  const expected = 'an absolute http(s) or ws(s) URL';
  if (!URL.canParse(text)) return { expected };
  return ['http:', 'https:', 'ws:', 'wss:'].includes(new URL(text).protocol) ? undefined : { expected, reason: 'unsupported scheme' };
}

function stringProblem(check: OptionCheck, value: string): OptionProblem | undefined {
  switch (check) {
    case 'file': return fileProblem(value, 'an existing file');
    case 'dir': return dirProblem(value, 'a directory (created if absent)', false);
    case 'lake': {
      const expected = 'a directory (created if absent) or s3://bucket/prefix';
      return isS3Url(value) ? s3Problem(value, expected) : dirProblem(value, expected, false);
    }
    case 'archive': {
      const expected = 'an http(s) URL, s3://bucket/prefix or an existing directory';
      if (/^https?:\/\//.test(value)) return URL.canParse(value) ? undefined : { expected };
      return isS3Url(value) ? s3Problem(value, expected) : dirProblem(value, expected, true);
    }
    case 'manifest': return manifestProblem(value);
    case 'url': return urlProblem(value);
    case 'hostPort': {
      const port = /^.+:(\d{1,5})$/.exec(value)?.[1];
      return port !== undefined && Number(port) >= 1 && Number(port) <= 65535 ? undefined : { expected: 'host:port with a port from 1 to 65535' };
    }
  }
}

/** The first rule `value` breaks (for a list: the first element that breaks one), or undefined. */
export function optionProblem(spec: OptionRules, value: string | number | boolean | readonly string[]): OptionProblem | undefined {
  if (typeof value === 'number') return numberProblem(spec, value);
  if (spec.check === undefined || typeof value === 'boolean') return undefined;
  const check = spec.check;
  for (const element of typeof value === 'string' ? [value] : value) {
    const problem = stringProblem(check, element);
    if (problem !== undefined) return typeof value === 'string' ? problem : { ...problem, reason: `${JSON.stringify(element)}: ${problem.reason ?? 'invalid'}` };
  }
  return undefined;
}
