/**
 * `mapInOrder`: how the Parquet lake sink keeps several batches in flight (mapped, encoded on the worker,
 * written or uploaded) while acknowledging them in input order, as the sink contract (connectors/sink.ts)
 * requires.
 */
import { concatMap, defer, from, map, mergeMap, type OperatorFunction } from 'rxjs';

/**
 * Like `concatMap` over promises, but up to `concurrency` run at once; results still come out in input order.
 * Memory: results that finished before an earlier one wait here (a slow head holds back their emission, not
 * the start of later projects, which stays bounded by `concurrency` running at once).
 */
export function mapInOrder<T, R>(project: (value: T) => Promise<R>, concurrency: number): OperatorFunction<T, R> {
  return (source) => defer(() => {
    let next = 0;
    const done = new Map<number, R>();
    return source.pipe(
      mergeMap((value, index) => from(project(value)).pipe(map((result) => [index, result] as const)), concurrency),
      concatMap(([index, result]) => {
        done.set(index, result);
        const ready: R[] = [];
        while (done.has(next)) { ready.push(done.get(next) as R); done.delete(next++); }
        return ready;
      }),
    );
  });
}
