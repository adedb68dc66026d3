/**
 * Dataset inference for the CLI in slices, so a long run (eval of the 10 000-image test set takes
 * minutes) can say how far it is between slices. The engine call is synchronous; a slice of a few
 * hundred images keeps the progress line fresh without changing any record.
 */
import type { DdiEngine, EngineInferOptions } from '../ddi/engine';
import { offsetRows } from '../ddi/exit-accuracy';
import type { InferenceRecord } from '../ddi/types';

/** Images per engine call between two progress reports. */
export const INFER_SLICE = 256;

/**
 * engine.infer over `n` images in slices of `slice` (rounded up to whole batches), calling
 * onSlice(records of the slice, images done) after each; the records equal one engine.infer call's.
 */
export function inferInSlices(
  engine: Pick<DdiEngine, 'infer' | 'model'>,
  images: Float32Array,
  n: number,
  opts: EngineInferOptions,
  onSlice: (records: InferenceRecord[], done: number) => void,
  slice = INFER_SLICE,
): InferenceRecord[] {
  const { height, width, channels } = engine.model.config.input;
  const per = height * width * channels;
  const bs = Math.max(1, Math.floor(opts.batchSize ?? 1));
  const step = Math.max(bs, Math.ceil(slice / bs) * bs);
  const out: InferenceRecord[] = [];
  for (let s = 0; s < n; s += step) {
    const m = Math.min(step, n - s);
    const recs = engine.infer(images.subarray(s * per, (s + m) * per), m, {
      ...opts,
      forced: opts.forced?.slice(s, s + m),
      labels: opts.labels?.slice(s, s + m),
      datasetIndices: opts.datasetIndices?.slice(s, s + m),
      everyExit: offsetRows(opts.everyExit, s),
    });
    // sampleIndex counts from the start of one engine call; keep it counting from the first image.
    for (const r of recs) r.sampleIndex += s;
    out.push(...recs);
    onSlice(recs, s + m);
  }
  return out;
}
