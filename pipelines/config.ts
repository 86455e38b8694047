/**
 * Configuration for every command, resolved once: flags > `LAKEHOUSE_*` env (and the service endpoint
 * variables) > config file (`--config FILE` or `./lakehouse.config.json`, `{ "<command>": { … } }`) >
 * defaults. Unknown flags and keys are rejected; every value (defaults too) must keep its option's rules
 * (number bounds, what a path names: pipelines/option-checks.ts), else a ConfigError names the option, the value
 * and what it takes; the result is frozen; secrets are masked when printed.
 * This module and the CLI are the only readers of `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError } from '../schemas/errors.js';
import { expectedNumber, optionProblem, type OptionRules } from './option-checks.js';

/** One option of a command, with the rules its values keep (number bounds, what a path names: {@link OptionRules}). */
export interface OptionSpec extends OptionRules {
  /** camelCase key in the resolved config; the flag is its kebab-case form. */
  readonly name: string;
  readonly type: 'string' | 'number' | 'boolean' | 'list';
  readonly doc: string;
  readonly default?: string | number | boolean | readonly string[];
  /** Extra environment variables read for this option, in priority order (e.g. `KAFKA_BROKERS`). */
  readonly env?: readonly string[];
  /** Its own `LAKEHOUSE_*` variable, where the one named after the flag means something else to another command. */
  readonly ownEnv?: string;
  /** Allowed values (each list element for `list`). */
  readonly choices?: readonly string[];
  readonly secret?: boolean;
  /** Flag value placeholder in --help. */
  readonly placeholder?: string;
}

export type ResolvedConfig = Readonly<Record<string, string | number | boolean | readonly string[] | undefined>>;

/** `someName` → `some-name`. */
export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `someName` → `LAKEHOUSE_SOME_NAME`. */
export function envName(name: string): string {
  return `LAKEHOUSE_${kebab(name).replace(/-/g, '_').toUpperCase()}`;
}

/** The environment variables an option reads, in priority order. */
function envNamesOf(spec: OptionSpec): string[] {
  return [spec.ownEnv ?? envName(spec.name), ...(spec.env ?? [])];
}

function coerce(spec: OptionSpec, raw: unknown, origin: string): string | number | boolean | readonly string[] {
  const fail = (expected: string, reason?: string): never => {
    throw new ConfigError(`${origin}: --${kebab(spec.name)} expects ${expected}, got ${JSON.stringify(raw)}${reason === undefined ? '' : ` (${reason})`}`);
  };
  let value: string | number | boolean | readonly string[];
  switch (spec.type) {
    case 'boolean':
      if (typeof raw === 'boolean') value = raw;
      else if (raw === 'true' || raw === '1') value = true;
      else if (raw === 'false' || raw === '0' || raw === '') value = false;
      else return fail('true or false');
      break;
    case 'number': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return fail(expectedNumber(spec));
      value = n;
      break;
    }
    case 'list':
      value = Array.isArray(raw) ? raw.map(String) : String(raw).split(',').map((s) => s.trim()).filter((s) => s !== '');
      break;
    case 'string':
      if (typeof raw !== 'string') return fail('a string');
      value = raw;
      break;
  }
  if (spec.choices !== undefined) {
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (!spec.choices.includes(String(v))) {
        throw new ConfigError(`${origin}: --${kebab(spec.name)} must be one of ${spec.choices.join(', ')}; got ${JSON.stringify(v)}`);
      }
    }
  }
  const problem = optionProblem(spec, value);
  if (problem !== undefined) return fail(problem.expected, problem.reason);
  return value;
}

/** Reads the command's section of the config file, rejecting unknown keys. */
function readConfigFile(command: string, path: string | undefined, specs: readonly OptionSpec[]): Record<string, unknown> {
  const file = path ?? (existsSync('lakehouse.config.json') ? 'lakehouse.config.json' : undefined);
  if (file === undefined) return {};
  const problem = optionProblem({ check: 'file' }, file);
  if (problem !== undefined) throw new ConfigError(`--config expects ${problem.expected}, got ${JSON.stringify(file)} (${problem.reason ?? 'invalid'})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config file ${file}: ${(error as Error).message}`);
  }
  const section = (parsed as Record<string, unknown>)[command] ?? {};
  if (typeof section !== 'object' || section === null) throw new ConfigError(`config file ${file}: "${command}" must be an object`);
  const known = new Set(specs.map((s) => s.name));
  for (const key of Object.keys(section)) {
    if (!known.has(key)) throw new ConfigError(`config file ${file}: unknown key "${command}.${key}"; known keys: ${[...known].join(', ')}`);
  }
  return section as Record<string, unknown>;
}

/**
 * `--from -7d` → `--from=-7d`: a value flag followed by a dash and a digit (a relative day, a negative number)
 * takes it as its value; parseArgs would otherwise reject it as an ambiguous option.
 */
function joinDashValues(argv: readonly string[], specs: readonly OptionSpec[]): string[] {
  const valued = new Set(specs.filter((s) => s.type !== 'boolean').map((s) => `--${kebab(s.name)}`));
  valued.add('--config');
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (valued.has(arg) && next !== undefined && /^-\d/.test(next)) { out.push(`${arg}=${next}`); i++; } else out.push(arg);
  }
  return out;
}

/** Resolves a command's options from argv, env, file and defaults. Returns the frozen config and positionals. */
export function resolveConfig(
  command: string, specs: readonly OptionSpec[], argv: readonly string[], env: NodeJS.ProcessEnv,
): { config: ResolvedConfig; positionals: string[] } {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { config: { type: 'string' } };
  for (const spec of specs) {
    options[kebab(spec.name)] = { type: spec.type === 'boolean' ? 'boolean' : 'string' };
    if (spec.type === 'boolean') options[`no-${kebab(spec.name)}`] = { type: 'boolean' };
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: joinDashValues(argv, specs), options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new ConfigError(`${(error as Error).message}; see lakehouse ${command} --help`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const file = readConfigFile(command, values.config as string | undefined, specs);
  const config: Record<string, string | number | boolean | readonly string[] | undefined> = {};
  for (const spec of specs) {
    const flag = kebab(spec.name);
    const negated = values[`no-${flag}`] === true ? false : undefined;
    const envVariable = envNamesOf(spec).find((n) => env[n] !== undefined && env[n] !== '');
    if (values[flag] !== undefined) config[spec.name] = coerce(spec, values[flag], 'flag');
    else if (negated !== undefined) config[spec.name] = negated;
    else if (envVariable !== undefined) config[spec.name] = coerce(spec, env[envVariable], `environment ${envVariable}`);
    else if (file[spec.name] !== undefined) config[spec.name] = coerce(spec, file[spec.name], 'config file');
    else if (spec.default !== undefined) config[spec.name] = coerce(spec, spec.default, 'default');
    else config[spec.name] = undefined;
  }
  return { config: Object.freeze(config), positionals: parsed.positionals };
}

/** The config as printable JSON with secrets masked. */
export function describeConfig(specs: readonly OptionSpec[], config: ResolvedConfig): string {
  const out: Record<string, unknown> = {};
  for (const spec of specs) out[spec.name] = spec.secret === true && config[spec.name] ? '***' : config[spec.name];
  return JSON.stringify(out);
}

/** --help text for a command's options, generated from the specs so it stays true. */
export function formatOptions(specs: readonly OptionSpec[]): string {
  const rows = specs.map((spec) => {
    const flag = `--${kebab(spec.name)}${spec.type === 'boolean' ? '' : ` ${spec.placeholder ?? spec.type.toUpperCase()}`}`;
    const extras: string[] = [];
    if (spec.choices !== undefined) extras.push(`one of ${spec.choices.join('|')}`);
    if (spec.type === 'number' && (spec.integer === true || spec.min !== undefined || spec.max !== undefined || spec.above !== undefined)) extras.push(expectedNumber(spec));
    const shown = Array.isArray(spec.default) ? spec.default.join(',') : spec.default === undefined || spec.default === false ? '' : String(spec.default);
    if (shown !== '') extras.push(`default ${shown}`); // an empty default is no default to show
    extras.push(`env ${envNamesOf(spec).join(', ')}`);
    return `  ${flag.padEnd(30)} ${spec.doc} (${extras.join('; ')})`;
  });
  rows.push(`  ${'--config FILE'.padEnd(30)} JSON config file (default ./lakehouse.config.json if present)`);
  return rows.join('\n');
}
