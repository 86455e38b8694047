/**
 * The operators on event time (docs/ARCHITECTURE.md §8) and their option types: the public surface of this
 * layer. Pipelines import each operator from its own file; the helpers those files share stay private.
 */
export { dedupe, type DedupeOptions } from './dedupe.js';
export { detectGaps, type DetectGapsOptions, type ExpectedKlineStream } from './detect-gaps.js';
export { fillGaps, GAP_FILL_POLICIES, type FillGapsOptions, type GapFillPolicy } from './fill-gaps.js';
export { DEFAULT_INDICATORS, parseIndicatorSpec, parseIndicatorSpecs, type IndicatorSpec } from './indicator-spec.js';
export { indicators, type IndicatorsOptions } from './indicators.js';
export { MERGE_IDLE_TIMEOUT_MS, mergeSources, type MergeSourcesOptions } from './merge-sources.js';
export { LATE_RECORD, resample, type ResampleOptions } from './resample.js';
export { validate, VALIDATION_ERROR, type ValidateOptions } from './validate.js';
export { watermark, type WatermarkOptions } from './watermark.js';
