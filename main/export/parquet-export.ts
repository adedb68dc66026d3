/**
 * Parquet exports of a session's samples, a profiling run's inferences or a session's markers,
 * written with hyparquet-writer (pure JavaScript, github.com/hyparam/hyparquet-writer) a row group
 * at a time, so memory stays flat for a session of any length and the bytes go to the same
 * backpressured sink as the text exports. DuckDB (`read_parquet(path)`) and pandas
 * (`pandas.read_parquet(path)`, pyarrow) read the files as they are.
 *
 * Samples: time_s DOUBLE (seconds from session start), then current_A / voltage_V / power_W FLOAT
 * (float32, as stored) for the channels the session measured, and digital (UINT_8, bit n = input
 * Dn) when its meter has digital inputs. A channel missing from a chunk is null; damaged chunks
 * give no rows (they are gaps in the JSON export). Inferences: the CSV's columns with Parquet
 * types. Markers: t_s, end_s, kind, label, data (JSON text).
 */
import { ByteWriter, ParquetWriter, schemaFromColumnData, type ColumnSource } from 'hyparquet-writer';
import type { Channel } from '../meters/types';
import { CHANNEL_UNITS } from '../meters/types';
import type { Db } from '../store/database';
import { SessionsRepo } from '../store/sessions-repo';
import { chunkPages } from './chunk-pages';
import { readInferences } from './profile-data';

/** Takes the next piece of bytes; resolves when the producer may go on. */
export type ByteSink = (bytes: Uint8Array) => Promise<void>;

export interface NsRange {
  fromNs: number;
  toNs: number;
}

/** Rows per row group: ~1.5 MB per float column, a size DuckDB and pyarrow read efficiently. */
const ROWS_PER_GROUP = 262_144;

type SchemaElement = Parameters<typeof schemaFromColumnData>[0]['schemaOverrides'] extends Record<string, infer E> | undefined ? E : never;

/** A hyparquet Writer that hands each finished row group to the sink and reuses its buffer. */
class SinkWriter extends ByteWriter {
  constructor(private readonly sink: ByteSink) {
    super(1 << 20);
  }
  flush(): Promise<void> {
    // Copied out: the buffer is written over from the start once index is reset.
    const bytes = new Uint8Array(this.buffer.slice(0, this.index));
    this.index = 0;
    return this.sink(bytes);
  }
  // ByteWriter declares finish(): void, but the Writer interface ParquetWriter.finish() returns
  // from allows void | Promise<void>, and both callers here await it, so the last row group is written.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  override finish(): Promise<void> {
    return this.flush();
  }
}

function writerFor(sink: ByteSink, columns: Omit<ColumnSource, 'data'>[], overrides: Record<string, SchemaElement>, kv: Record<string, string>): ParquetWriter {
  const schema = schemaFromColumnData({
    columnData: columns.map((c) => ({ ...c, data: [] })),
    schemaOverrides: overrides,
  });
  return new ParquetWriter({
    writer: new SinkWriter(sink),
    schema,
    createdBy: 'ddi-profiler (hyparquet-writer)',
    kvMetadata: Object.entries(kv).map(([key, value]) => ({ key, value })),
  });
}

/**
 * The digital byte: INT32 annotated with the converted type UINT_8, which DuckDB reads as UTINYINT and
 * pyarrow as uint8. No INTEGER logical type: DuckDB 1.5.6 refuses the file's metadata when
 * hyparquet-writer 0.17.0 writes one ("TProtocolException: Invalid data"), checked by hand.
 */
const DIGITAL_SCHEMA: SchemaElement = {
  name: 'digital',
  type: 'INT32',
  repetition_type: 'OPTIONAL',
  converted_type: 'UINT_8',
};

export async function produceSampleParquet(db: Db, id: number, sink: ByteSink, range: NsRange | null): Promise<void> {
  const row = new SessionsRepo(db).get(id);
  const channels = JSON.parse(row.channels) as Channel[];
  const order: Channel[] = (['current', 'voltage', 'power'] as Channel[]).filter((c) => channels.includes(c));
  const hasDigital = db.prepare('SELECT 1 FROM sample_chunks WHERE session_id = ? AND digital IS NOT NULL LIMIT 1').get(id) !== undefined;
  const names = order.map((c) => `${c}_${CHANNEL_UNITS[c]}`);
  const columns: Omit<ColumnSource, 'data'>[] = [
    { name: 'time_s', type: 'DOUBLE', nullable: false, encoding: 'BYTE_STREAM_SPLIT' },
    ...names.map((name) => ({ name, type: 'FLOAT' as const, nullable: true, encoding: 'BYTE_STREAM_SPLIT' as const })),
    ...(hasDigital ? [{ name: 'digital' }] : []),
  ];
  const writer = writerFor(sink, columns, hasDigital ? { digital: DIGITAL_SCHEMA } : {}, {
    'ddi-profiler.session': String(id),
    'ddi-profiler.name': row.name,
    'ddi-profiler.units': 'time_s: seconds from session start; current_A: A; voltage_V: V; power_W: W; digital: bit n = input Dn',
  });

  // Typed arrays (the writer's fast path, exactly the stored float32 values); a row whose chunk
  // lacks the channel or the digital byte is marked and written as null.
  const time = new Float64Array(ROWS_PER_GROUP);
  const planes = order.map(() => new Float32Array(ROWS_PER_GROUP));
  const digital = new Int32Array(ROWS_PER_GROUP);
  const missing = [...order.map(() => new Uint8Array(ROWS_PER_GROUP)), new Uint8Array(ROWS_PER_GROUP)];
  const anyMissing = missing.map(() => false);
  let n = 0;
  const column = <T extends Float32Array | Int32Array>(values: T, k: number): T | (number | null)[] =>
    anyMissing[k] ? Array.from(values.subarray(0, n), (v, i) => (missing[k]![i] ? null : v)) : (values.subarray(0, n) as T);
  const flush = async (): Promise<void> => {
    if (n === 0) return;
    const columnData: ColumnSource[] = [
      // BYTE_STREAM_SPLIT (Parquet 2.8+, read by DuckDB, pyarrow and hyparquet): samples that change
      // slowly compress about 3× smaller than PLAIN, at the same speed.
      { name: 'time_s', data: time.subarray(0, n), encoding: 'BYTE_STREAM_SPLIT' },
      ...planes.map((p, c) => ({ name: names[c]!, data: column(p, c), encoding: 'BYTE_STREAM_SPLIT' as const })),
      ...(hasDigital ? [{ name: 'digital', data: column(digital, order.length) }] : []),
    ];
    await writer.write({ columnData, rowGroupSize: ROWS_PER_GROUP });
    for (const m of missing) m.fill(0);
    anyMissing.fill(false);
    n = 0;
  };
  for (const page of chunkPages(db, id, order, range ?? undefined)) {
    for (const chunk of page) {
      for (let i = 0; i < chunk.count; i++) {
        const tNs = chunk.t0Ns + i * chunk.periodNs;
        if (range && !(tNs + chunk.periodNs > range.fromNs && tNs < range.toNs)) continue;
        time[n] = tNs / 1e9;
        for (let c = 0; c < order.length; c++) {
          const plane = chunk.planes[c];
          if (plane) planes[c]![n] = plane[i]!;
          else {
            missing[c]![n] = 1;
            anyMissing[c] = true;
          }
        }
        if (hasDigital) {
          if (chunk.digital) digital[n] = chunk.digital[i]!;
          else {
            missing[order.length]![n] = 1;
            anyMissing[order.length] = true;
          }
        }
        n++;
        if (n === ROWS_PER_GROUP) await flush();
      }
    }
  }
  await flush();
  await writer.finish();
}

export async function produceInferenceParquet(db: Db, id: number, sink: ByteSink, range: NsRange | null): Promise<void> {
  const rows = readInferences(db, id).filter((r) => range === null || (r.endNs > range.fromNs && r.startNs < range.toNs));
  const col = <T>(name: string, type: ColumnSource['type'], nullable: boolean, pick: (r: (typeof rows)[number]) => T): ColumnSource => ({
    name,
    type,
    nullable,
    data: rows.map(pick) as ColumnSource['data'],
  });
  const columnData: ColumnSource[] = [
    col('seq', 'INT32', false, (r) => r.seq),
    col('start_ns', 'INT64', false, (r) => BigInt(Math.round(r.startNs))),
    col('end_ns', 'INT64', false, (r) => BigInt(Math.round(r.endNs))),
    col('mode', 'STRING', false, (r) => r.mode),
    col('budget_value', 'DOUBLE', true, (r) => r.budget?.value ?? null),
    col('budget_unit', 'STRING', true, (r) => r.budget?.unit ?? null),
    col('exit', 'INT32', true, (r) => r.exit),
    col('macs', 'DOUBLE', false, (r) => r.macs),
    col('predicted_energy_J', 'DOUBLE', true, (r) => r.predictedEnergyJ),
    col('predicted_latency_s', 'DOUBLE', true, (r) => r.predictedLatencyS),
    col('measured_energy_J', 'DOUBLE', true, (r) => r.measuredEnergyJ),
    col('active_energy_J', 'DOUBLE', true, (r) => r.activeEnergyJ),
    col('label', 'INT32', true, (r) => r.label),
    col('prediction', 'INT32', true, (r) => r.prediction),
    col('within_budget', 'BOOLEAN', true, (r) => r.withinBudget),
  ];
  await writeWhole(sink, columnData, { 'ddi-profiler.session': String(id), 'ddi-profiler.table': 'inferences' });
}

export async function produceMarkerParquet(db: Db, id: number, sink: ByteSink, range: NsRange | null): Promise<void> {
  const rows = (
    db.prepare('SELECT t_ns, end_ns, kind, label, data FROM markers WHERE session_id = ? ORDER BY t_ns, id').all(id) as {
      t_ns: number;
      end_ns: number | null;
      kind: string;
      label: string;
      data: string | null;
    }[]
  ).filter((m) => range === null || (Math.max(m.end_ns ?? m.t_ns, m.t_ns + 1) > range.fromNs && m.t_ns < range.toNs));
  const columnData: ColumnSource[] = [
    { name: 't_s', type: 'DOUBLE', nullable: false, data: rows.map((m) => m.t_ns / 1e9) },
    { name: 'end_s', type: 'DOUBLE', nullable: true, data: rows.map((m) => (m.end_ns === null ? null : m.end_ns / 1e9)) },
    { name: 'kind', type: 'STRING', nullable: false, data: rows.map((m) => m.kind) },
    { name: 'label', type: 'STRING', nullable: false, data: rows.map((m) => m.label) },
    { name: 'data', type: 'STRING', nullable: true, data: rows.map((m) => m.data) },
  ];
  await writeWhole(sink, columnData, { 'ddi-profiler.session': String(id), 'ddi-profiler.table': 'markers' });
}

/** A small table (inferences, markers) in row groups of ROWS_PER_GROUP; an empty table is a valid file with no rows. */
async function writeWhole(sink: ByteSink, columnData: ColumnSource[], kv: Record<string, string>): Promise<void> {
  const writer = writerFor(
    sink,
    columnData.map(({ data: _data, ...c }) => c),
    {},
    kv,
  );
  if ((columnData[0]?.data.length ?? 0) > 0) await writer.write({ columnData, rowGroupSize: ROWS_PER_GROUP });
  await writer.finish();
}
