/**
 * The one retry policy: exponential backoff with equal jitter, driven by the error's `retriable` flag and
 * honouring `RateLimitedError.retryAfterMs`. Nothing inspects error messages.
 */
import { RateLimitedError, RetriesExhaustedError, isRetriable, type ErrorContext } from '../../schemas/errors.js';

/** Options of {@link retry} and {@link backoffDelayMs}. */
export interface BackoffOptions {
  /** Attempts in total, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Delay before the second attempt (before jitter). @default 250 */
  readonly baseDelayMs?: number;
  /** Upper bound of any delay. @default 30000 */
  readonly maxDelayMs?: number;
  /** Random source in [0, 1) for the jitter (tests pass a fixed one). @default Math.random */
  readonly random?: () => number;
  /** Called before each wait, for progress and logs. */
  readonly onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
  /** Aborts waiting and further attempts. */
  readonly signal?: AbortSignal;
  /** Context attached to the `RetriesExhaustedError`. */
  readonly context?: ErrorContext;
}

/**
 * The delay before attempt `attempt + 1` (attempt ≥ 1), with equal jitter: half of c = min(max, base·2^(attempt−1))
 * plus a random share of the other half, so a delay lies in [c/2, c) (never near zero, unlike full jitter).
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  const random = options.random ?? Math.random;
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => { signal?.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = (): void => { clearTimeout(timer); reject(signal?.reason); };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `operation` until it succeeds, a non-retriable error occurs (rethrown as is), or attempts run out
 * (`RetriesExhaustedError` with the last error as cause).
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: BackoffOptions = {}): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 5;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetriable(error)) throw error;
      if (attempt >= maxAttempts) throw new RetriesExhaustedError(attempt, error, options.context);
      const delayMs = error instanceof RateLimitedError
        ? Math.max(error.retryAfterMs, backoffDelayMs(attempt, options))
        : backoffDelayMs(attempt, options);
      options.onRetry?.({ attempt, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
