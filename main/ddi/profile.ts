/**
 * Latency cost table by a short profiling pass on the running backend at batch 1: every unit is
 * timed (median of `reps` runs after warm-up) with all channels and, for channel-gated units, with
 * about half of them, and the two points give the affine per-channel model. Gates are timed as
 * pool + read-back + host evaluation. tfjs cpu/wasm/tensorflow kernels run synchronously, so
 * hrtime around a call that ends in a read-back or returns a computed tensor brackets the work.
 */
import type { DdiModel } from './model';
import { shortcutId, type CostTable, type UnitCost } from './cost';
import type { HostGates } from './gates';
import type { UnitRuntime } from './runtime/types';
import type { BackendInfo } from './backend';
import { thisMachine } from './derived-tables';
import { ORT_PATTERN_PROMOTE_AFTER } from './runtime/ort';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeIt(reps: number, f: () => void, warm = 2): number {
  for (let i = 0; i < warm; i++) f();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    f();
    ts.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(ts);
}

export function profileLatency(model: DdiModel, runtime: UnitRuntime<unknown>, gates: HostGates, backend: BackendInfo, reps = 15): CostTable {
  const lay = model.layout;
  const entries: Record<string, UnitCost> = {};
  const n = lay.trunk[0]!;
  const img = new Float32Array(n.inH * n.inW * n.inC).map((_, i) => ((i * 7919) % 255) / 255);
  let x = runtime.input(img, 1);
  const all = { rows: [0], channels: null };
  try {
    for (let ti = 0; ti < lay.trunk.length; ti++) {
      const u = lay.trunk[ti]!;
      const run = (plan: { rows: number[]; channels: number[][] | null }) => () => {
        const y = runtime.trunk(ti, x, plan);
        if (y !== x) runtime.release(y);
      };
      if (u.layerGated) {
        const st = gates.initialState();
        const t = timeIt(reps, () => gates.layerLogit(u.layerGateProj, runtime.pool(x), 0, st));
        entries[`gate.layer${u.layer}`] = { fixed: t, anyChannel: 0, perChannel: 0 };
      }
      if (u.groups > 0) {
        // With a layer gate on the same unit the pooled read-back is shared and charged to the layer gate.
        const pooled = runtime.pool(x);
        const t = u.layerGated
          ? timeIt(reps, () => gates.channelLogits(u.layer, pooled, 0))
          : timeIt(reps, () => gates.channelLogits(u.layer, runtime.pool(x), 0));
        entries[`gate.channel${u.layer}`] = { fixed: t, anyChannel: 0, perChannel: 0 };
      }
      const C = u.kind === 'block' ? u.mid : u.kind === 'dense' ? u.outC - u.inC : 0;
      const tFull = timeIt(reps, run(all));
      // A skipped downsampling block runs only its projection: the runtime does that for rows outside the plan.
      if (u.layerGated && u.projection) entries[shortcutId(u.id)] = { fixed: timeIt(reps, run({ rows: [], channels: null })), anyChannel: 0, perChannel: 0 };
      if (u.groups > 0 && C >= 2) {
        const half = Math.floor(C / 2);
        // Timed once the pattern has its own graph on ONNX Runtime (a recurring pattern's steady state;
        // a new one runs on the unit's generic graph, which was slower than the full-width graph and
        // priced every channel at zero).
        const tHalf = timeIt(reps, run({ rows: [0], channels: [Array.from({ length: half }, (_, c) => c)] }), ORT_PATTERN_PROMOTE_AFTER);
        const perChannel = Math.max(0, (tFull - tHalf) / (C - half));
        const base = Math.max(0, tFull - perChannel * C);
        entries[u.id] = u.kind === 'dense' ? { fixed: 0, anyChannel: base, perChannel } : { fixed: base, anyChannel: 0, perChannel };
      } else if (C > 0) {
        entries[u.id] = { fixed: 0, anyChannel: 0, perChannel: tFull / C };
      } else {
        entries[u.id] = { fixed: tFull, anyChannel: 0, perChannel: 0 };
      }
      const y = runtime.trunk(ti, x, all);
      if (y !== x) runtime.release(x);
      x = y;
      for (const e of lay.exits) {
        if (e.afterTrunk !== ti) continue;
        entries[e.id] = { fixed: timeIt(reps, () => runtime.head(e.index, x, [0])), anyChannel: 0, perChannel: 0 };
      }
    }
    entries.classifier = { fixed: timeIt(reps, () => runtime.head(-1, x, [0])), anyChannel: 0, perChannel: 0 };
  } finally {
    runtime.release(x);
    runtime.clearCache();
  }
  const machine = thisMachine();
  return {
    name: `latency:${backend.name}`,
    kind: 'latency',
    unit: 's',
    source: `profiled at batch 1 on ${backend.name} ${backend.version}, ${machine.cpuModel} × ${machine.cores} (median of ${reps} runs per unit, ${machine.arch})`,
    backend: { name: backend.name, version: backend.version },
    createdAt: new Date().toISOString(),
    entries,
  };
}
