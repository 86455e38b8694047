/** The shared operators on event time (DESIGN §6), for pipelines to import from one place. */
export { dedupe, type DedupeOptions } from './dedupe.js';
export { detectGaps, gapVersion, type DetectGapsOptions, type ExpectedKlineStream } from './detect-gaps.js';
export { fillGaps, GAP_FILL_POLICIES, type FillGapsOptions, type GapFillPolicy } from './fill-gaps.js';
export { MERGE_IDLE_TIMEOUT_MS, mergeSources, type MergeSourcesOptions } from './merge-sources.js';
export { LATE_RECORD, resample, type ResampleOptions } from './resample.js';
export { schemaProblem, validate, VALIDATION_ERROR, type ValidateOptions } from './validate.js';
export { noState, StreamClock, watermark, WatermarkTracker, type WatermarkOptions } from './watermark.js';
