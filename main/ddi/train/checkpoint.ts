/**
 * Training checkpoints: one file holding a JSON header (config, recipe, position, history) and
 * the float32 values of every model parameter (BN statistics included) and every momentum buffer.
 * Written to a temp file and renamed, so a crash or Ctrl-C never leaves a half-written checkpoint.
 *
 * Layout: "DDIC" | uint32 LE header length | header JSON (UTF-8) | zero pad to 4 | float32 LE data.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { UserError } from '../../util/errors';

const MAGIC = 'DDIC';

export interface TensorEntry {
  name: string;
  shape: number[];
}

export interface CheckpointHeader<Meta> {
  version: 1;
  meta: Meta;
  params: TensorEntry[];
  momentum: TensorEntry[];
}

export interface Checkpoint<Meta> {
  meta: Meta;
  params: Map<string, Float32Array>;
  momentum: Map<string, Float32Array>;
  shapes: Map<string, number[]>;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function encodeCheckpoint<Meta>(
  meta: Meta,
  params: ReadonlyMap<string, Float32Array>,
  momentum: ReadonlyMap<string, Float32Array>,
  shapes: ReadonlyMap<string, number[]>,
): Uint8Array {
  const entries = (m: ReadonlyMap<string, Float32Array>): TensorEntry[] =>
    [...m.keys()].map((name) => {
      const shape = shapes.get(name);
      if (!shape) throw new Error(`No shape for ${name}.`);
      return { name, shape };
    });
  const header: CheckpointHeader<Meta> = { version: 1, meta, params: entries(params), momentum: entries(momentum) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = Math.ceil((8 + json.length) / 4) * 4;
  let floats = 0;
  for (const v of params.values()) floats += v.length;
  for (const v of momentum.values()) floats += v.length;
  const out = new Uint8Array(dataStart + 4 * floats);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, json.length, true);
  out.set(json, 8);
  const f32 = new Float32Array(out.buffer, dataStart, floats);
  let off = 0;
  for (const m of [params, momentum]) {
    for (const v of m.values()) {
      f32.set(v, off);
      off += v.length;
    }
  }
  return out;
}

export function decodeCheckpoint<Meta>(bytes: Uint8Array, source: string): Checkpoint<Meta> {
  const bad = (why: string): never => {
    throw new UserError(`${source} is not a usable training checkpoint (${why}); resume from another checkpoint or start again.`, 'bad-checkpoint');
  };
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) bad('wrong magic');
  const jsonLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (8 + jsonLen > bytes.length) bad('truncated header');
  let header: CheckpointHeader<Meta>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + jsonLen))) as CheckpointHeader<Meta>;
  } catch {
    return bad('damaged header');
  }
  if (header.version !== 1) bad(`unknown version ${String(header.version)}`);
  const dataStart = Math.ceil((8 + jsonLen) / 4) * 4;
  const all = [...header.params, ...header.momentum];
  const floats = all.reduce((n, e) => n + size(e.shape), 0);
  if (bytes.length !== dataStart + 4 * floats) bad(`expected ${dataStart + 4 * floats} bytes, found ${bytes.length}`);
  // Copy into a fresh aligned buffer: a Node Buffer may sit at any offset of a shared pool, and
  // Buffer#slice returns a view, not a copy.
  const data = new Uint8Array(bytes.length - dataStart);
  data.set(bytes.subarray(dataStart));
  const f32 = new Float32Array(data.buffer);
  const shapes = new Map<string, number[]>();
  const take = (list: TensorEntry[], into: Map<string, Float32Array>, start: number): number => {
    let off = start;
    for (const e of list) {
      const n = size(e.shape);
      into.set(e.name, f32.slice(off, off + n));
      shapes.set(e.name, e.shape);
      off += n;
    }
    return off;
  };
  const params = new Map<string, Float32Array>();
  const momentum = new Map<string, Float32Array>();
  take(header.momentum, momentum, take(header.params, params, 0));
  return { meta: header.meta, params, momentum, shapes };
}

export function writeCheckpoint(path: string, bytes: Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

export function readCheckpoint<Meta>(path: string): Checkpoint<Meta> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new UserError(`Cannot read checkpoint ${path} (${(e as NodeJS.ErrnoException).code ?? 'error'}); check the --resume path.`, 'bad-checkpoint');
  }
  return decodeCheckpoint<Meta>(bytes, path);
}
