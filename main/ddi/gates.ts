/**
 * Gate networks evaluated on the host (plain JS) from the pooled unit input that the runtime reads
 * back. They are a few thousand MACs, so doing them here costs microseconds and no tensor ops, and
 * any runtime (tfjs, ONNX, native) can share them. Same math as forwardTrain in model.ts.
 */
import type { DdiModel } from './model';
import { fc, hostFc, type HostFc as Fc } from './host-fc';

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Recurrent state of the layer gate for one sample. */
export interface LstmState {
  h: Float64Array;
  c: Float64Array;
}

export class HostGates {
  private readonly proj = new Map<number, Fc>();
  private readonly lstm: Fc | null = null;
  private readonly out: Fc | null = null;
  private readonly channel = new Map<number, { fc1: Fc; fc2: Fc }>();
  readonly hidden: number;
  // Scratch buffers: the gates run before every gated unit of every sample, and allocating
  // a few small arrays per call showed up as a third of the gates' host time at batch 1.
  private readonly xin: Float64Array;
  private readonly z: Float64Array;
  private readonly one = new Float64Array(1);
  private readonly hid = new Map<number, Float64Array>();
  /** The pooled input of the current unit, copied to float64 (sized on first use). */
  private inp = new Float64Array(0);

  private input(pooled: Float32Array, off: number, n: number): Float64Array {
    if (this.inp.length < n) this.inp = new Float64Array(n);
    for (let i = 0; i < n; i++) this.inp[i] = pooled[off + i]!;
    return this.inp;
  }

  constructor(model: DdiModel) {
    const vals = model.readValuesSync();
    const shape = (n: string) => model.specs.find((s) => s.name === n)!.shape;
    const mk = (name: string): Fc => {
      const [nin, nout] = shape(`${name}/kernel`) as [number, number];
      return hostFc(vals.get(`${name}/kernel`)!, vals.get(`${name}/bias`)!, nin, nout);
    };
    this.hidden = model.config.gates.layerHidden;
    // Float64 scratch: no float32 rounding on every accumulate (and it is faster in V8).
    this.xin = new Float64Array(2 * this.hidden);
    this.z = new Float64Array(4 * this.hidden);
    for (const u of model.layout.trunk) {
      if (u.layerGated && !this.proj.has(u.layerGateProj)) this.proj.set(u.layerGateProj, mk(`gate/layer/proj${u.layerGateProj}`));
      if (u.groups > 0) this.channel.set(u.layer, { fc1: mk(`gate/channel${u.layer}/fc1`), fc2: mk(`gate/channel${u.layer}/fc2`) });
    }
    if (model.layout.layerGateSteps > 0) {
      this.lstm = mk('gate/layer/lstm');
      this.out = mk('gate/layer/out');
    }
  }

  initialState(): LstmState {
    return { h: new Float64Array(this.hidden), c: new Float64Array(this.hidden) };
  }

  /** One LSTM step on the pooled block input (pooled[off..off+C)); updates state; returns the logit. */
  layerLogit(projIndex: number, pooled: Float32Array, off: number, state: LstmState): number {
    const p = this.proj.get(projIndex)!;
    const h = this.hidden;
    const xin = this.xin;
    fc(this.input(pooled, off, p.nin), p, xin);
    xin.set(state.h, h);
    const z = fc(xin, this.lstm!, this.z);
    // Gate order i, f, g, o (same split as model.ts).
    for (let j = 0; j < h; j++) {
      const i = sigmoid(z[j]!);
      const f = sigmoid(z[h + j]!);
      const g = Math.tanh(z[2 * h + j]!);
      const o = sigmoid(z[3 * h + j]!);
      state.c[j] = f * state.c[j]! + i * g;
      state.h[j] = o * Math.tanh(state.c[j]!);
    }
    return fc(state.h, this.out!, this.one)[0]!;
  }

  /** Channel-gate logits (one per group) of unit `layer` from its pooled input. */
  channelLogits(layer: number, pooled: Float32Array, off: number): Float64Array {
    const g = this.channel.get(layer)!;
    let hid = this.hid.get(g.fc1.nout);
    if (!hid) this.hid.set(g.fc1.nout, (hid = new Float64Array(g.fc1.nout)));
    fc(this.input(pooled, off, g.fc1.nin), g.fc1, hid);
    for (let i = 0; i < hid.length; i++) if (hid[i]! < 0) hid[i] = 0;
    return fc(hid, g.fc2, new Float64Array(g.fc2.nout));
  }
}
