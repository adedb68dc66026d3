/**
 * What an importer hands the session writer: the channels and rate found in the file, then its
 * samples as evenly spaced runs and the holes between them, in time order. `parts()` can be
 * iterated more than once and yields the same parts each time: the writer reads the file once to
 * check all of it before it writes anything, then again to store it.
 */
import type { Channel, MeterGap, SampleChunk } from '../meters/types';

export type ImportPart = { chunk: SampleChunk } | { gap: MeterGap };

export interface ImportSource {
  /** 'csv' or 'ppk2': stored in the meter record. */
  format: 'csv' | 'ppk2';
  /** For people: "CSV (time_s, current_A)", "nRF Connect Power Profiler .ppk2". */
  formatLabel: string;
  channels: Channel[];
  sampleRateHz: number;
  /** Digital input lines per sample (PPK2: 8), 0 when the file has none. */
  digitalInputs: number;
  /** Wall-clock start of the original recording when the file says it. */
  startedAt?: string;
  /** Sentences for the session notes (e.g. a time shift applied). */
  notes: string[];
  /** Throws a UserError naming the file, the place and the problem when the file is bad. */
  parts(): AsyncGenerator<ImportPart>;
}

/** Reason of a gap where the file itself has no samples (a jump in its time column). */
export const FILE_GAP_REASON = 'no samples in the imported file';
