/**
 * The error taxonomy shared by every layer. Errors are split by what the caller must do, and one retry
 * policy reads `retriable`; nothing inspects message text.
 */

/** Typed context an error can carry; every field optional, none secret. */
export interface ErrorContext {
  readonly symbol?: string;
  readonly market?: string;
  readonly file?: string;
  readonly line?: number;
  readonly url?: string;
  readonly topic?: string;
  readonly partition?: number;
  readonly offset?: string;
  readonly table?: string;
  readonly service?: string;
  readonly status?: number;
}

/** Base class: a literal `name`, a `retriable` flag, an optional `cause` and typed context. */
export abstract class EngineError extends Error {
  abstract override readonly name: string;
  /** Whether repeating the same operation may succeed. */
  abstract readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.context = context;
  }
}

/** The user's configuration or request is wrong; fix the input, do not retry. */
export class ConfigError extends EngineError {
  override readonly name = 'ConfigError' as const;
  readonly retriable = false;
}

/** An outside system failed (HTTP, WebSocket, Kafka, S3). Retriable unless told otherwise. */
export class ConnectorError extends EngineError {
  override readonly name: string = 'ConnectorError';
  readonly retriable: boolean;
  constructor(message: string, context: ErrorContext = {}, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, context, options.cause);
    this.retriable = options.retriable ?? true;
  }
}

/** The upstream answered that the object does not exist (HTTP 404, NoSuchKey). Never retried. */
export class NotFoundUpstreamError extends ConnectorError {
  override readonly name = 'NotFoundUpstreamError' as const;
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, context, { retriable: false, cause });
  }
}

/** The upstream asked us to slow down (HTTP 429/418); wait `retryAfterMs` before the next call. */
export class RateLimitedError extends ConnectorError {
  override readonly name = 'RateLimitedError' as const;
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, context: ErrorContext = {}) {
    super(message, context, { retriable: true });
    this.retryAfterMs = retryAfterMs;
  }
}

/** Input could not be decoded; carries the raw input so it can go to the DLQ. Never retried. */
export class DecodeError extends EngineError {
  override readonly name = 'DecodeError' as const;
  readonly retriable = false;
  readonly raw: string;
  constructor(message: string, raw: string, context: ErrorContext = {}, cause?: unknown) {
    super(message, context, cause);
    this.raw = raw;
  }
}

/** Downloaded bytes do not hash to the published checksum. Retriable (the next download may be good). */
export class ChecksumMismatchError extends EngineError {
  override readonly name = 'ChecksumMismatchError' as const;
  readonly retriable = true;
  readonly expected: string;
  readonly actual: string;
  constructor(expected: string, actual: string, context: ErrorContext = {}) {
    super(`checksum mismatch: expected sha256 ${expected}, got ${actual}`, context);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A sink (ClickHouse, Parquet, Kafka) failed to accept a batch. */
export class SinkWriteError extends EngineError {
  override readonly name = 'SinkWriteError' as const;
  readonly retriable: boolean;
  constructor(message: string, context: ErrorContext = {}, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, context, options.cause);
    this.retriable = options.retriable ?? true;
  }
}

/** A retriable operation failed too often; `cause` is the last error. */
export class RetriesExhaustedError extends EngineError {
  override readonly name = 'RetriesExhaustedError' as const;
  readonly retriable = false;
  readonly attempts: number;
  constructor(attempts: number, cause: unknown, context: ErrorContext = {}) {
    const last = cause instanceof Error ? cause.message : String(cause);
    super(`gave up after ${attempts} attempts: ${last}`, context, cause);
    this.attempts = attempts;
  }
}

/** True when an error says that repeating the operation may succeed (engine errors only). */
export function isRetriable(error: unknown): boolean {
  return error instanceof EngineError && error.retriable;
}
