/**
 * Secrets never leave the process through its output: the values of every `secret` option of the running
 * command (passwords, keys), whether given as flags, environment variables or in the config file, are
 * replaced by `***` in everything written to stdout and stderr — error messages of third-party clients,
 * reports, log lines — also URL-encoded.
 */
import type { OptionSpec } from './config.js';
import { envName, kebab, resolveConfig } from './config.js';

/** Shorter secrets are not masked: replacing every `ab` would garble the output and hide nothing. */
const MIN_SECRET_LENGTH = 3;

/** The secret values a command run was given (flags, environment, config file), even when its options do not resolve. */
export function secretValuesOf(command: string, specs: readonly OptionSpec[], argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const secrets = specs.filter((spec) => spec.secret === true);
  const values = new Set<string>();
  try {
    const { config } = resolveConfig(command, specs, argv, env);
    for (const spec of secrets) if (typeof config[spec.name] === 'string') values.add(config[spec.name] as string);
  } catch {
    // Invalid options: the flags and variables below are still masked.
  }
  for (const spec of secrets) {
    const flag = `--${kebab(spec.name)}`;
    argv.forEach((arg, i) => {
      if (arg === flag && argv[i + 1] !== undefined) values.add(argv[i + 1]);
      else if (arg.startsWith(`${flag}=`)) values.add(arg.slice(flag.length + 1));
    });
    for (const name of [envName(spec.name), ...(spec.env ?? [])]) if (env[name] !== undefined) values.add(env[name]);
  }
  const masked = [...values].filter((v) => v.length >= MIN_SECRET_LENGTH);
  return [...new Set([...masked, ...masked.map((v) => encodeURIComponent(v))])].sort((a, b) => b.length - a.length);
}

/** `out` with every secret masked in what is written to it (a write is masked whole; `isTTY` is kept). */
export function redactingStream<T extends NodeJS.WritableStream & { isTTY?: boolean }>(out: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return out;
  const mask = (text: string): string => secrets.reduce((masked, secret) => masked.split(secret).join('***'), text);
  return new Proxy(out, {
    get(target, property) {
      if (property !== 'write') {
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      return (chunk: unknown, ...rest: unknown[]): boolean => {
        const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array ? Buffer.from(chunk).toString('utf8') : String(chunk);
        return (target.write as (c: string, ...r: unknown[]) => boolean).call(target, mask(text), ...rest);
      };
    },
  }) as T;
}
