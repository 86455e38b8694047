/**
 * The version rule settles conflicts between copies of the same identity key, in the `dedupe` operator and
 * in ClickHouse `ReplacingMergeTree(version)` alike: a higher version wins.
 *
 *   version = rank × 2^44 + sequence
 *
 * rank orders sources: archive (5) > rest (4) > closed ws (3) = resample (3) = derived (3) > open ws (2) > fill (1).
 * sequence orders ingests within a rank: a millisecond wall-clock or publication time (archive objects use
 * their LastModified, so a republished file beats the old one), below 2^44 (year 2527). The result stays
 * below 2^47, exact in a JS number and in Avro long / ClickHouse UInt64.
 */
import type { Source } from './ids.js';

export const VERSION_SEQUENCE_LIMIT = 2 ** 44;

/** The rank of a source; `closed` matters only for `ws` (a closed kline beats an open one). */
export function sourceRank(source: Source, closed = true): number {
  switch (source) {
    case 'archive': return 5;
    case 'rest': return 4;
    case 'ws': return closed ? 3 : 2;
    case 'resample': return 3;
    case 'derived': return 3;
    case 'fill': return 1;
  }
}

/** Builds a version from a source, its closed flag and a sequence (ms; clamped into [0, 2^44)). */
export function makeVersion(source: Source, sequenceMs: number, closed = true): number {
  const sequence = Math.min(Math.max(Math.floor(sequenceMs), 0), VERSION_SEQUENCE_LIMIT - 1);
  return sourceRank(source, closed) * VERSION_SEQUENCE_LIMIT + sequence;
}

/** The rank part of a version. */
export function rankOfVersion(version: number): number {
  return Math.floor(version / VERSION_SEQUENCE_LIMIT);
}

/**
 * The sequence part of a version. Computed as `version − rank × 2^44` (exact: the division by a power of
 * two and the product are exact in float64) rather than `version % 2^44`, which on a double is a call into
 * the C library's fmod — measurable on the per-record path of `resample`.
 */
export function sequenceOfVersion(version: number): number {
  return version - rankOfVersion(version) * VERSION_SEQUENCE_LIMIT;
}
