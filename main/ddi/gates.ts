/**
 * Gate networks evaluated on the host (plain JS) from the pooled unit input that the runtime reads
 * back. They are a few thousand MACs, so doing them here costs microseconds and no tensor ops, and
 * any runtime (tfjs, ONNX, native) can share them. Same math as forwardTrain in model.ts.
 */
import type { DdiModel } from './model';

interface Fc {
  w: Float32Array;
  b: Float32Array;
  nin: number;
  nout: number;
}

function fc(x: Float32Array, off: number, f: Fc, out: Float32Array): Float32Array {
  for (let o = 0; o < f.nout; o++) out[o] = f.b[o]!;
  for (let i = 0; i < f.nin; i++) {
    const xi = x[off + i]!;
    if (xi === 0) continue;
    const row = i * f.nout;
    for (let o = 0; o < f.nout; o++) out[o] = out[o]! + xi * f.w[row + o]!;
  }
  return out;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/** Recurrent state of the layer gate for one sample. */
export interface LstmState {
  h: Float32Array;
  c: Float32Array;
}

export class HostGates {
  private readonly proj = new Map<number, Fc>();
  private readonly lstm: Fc | null = null;
  private readonly out: Fc | null = null;
  private readonly channel = new Map<number, { fc1: Fc; fc2: Fc }>();
  readonly hidden: number;

  constructor(model: DdiModel) {
    const vals = model.readValuesSync();
    const shape = (n: string) => model.specs.find((s) => s.name === n)!.shape;
    const mk = (name: string): Fc => {
      const [nin, nout] = shape(`${name}/kernel`) as [number, number];
      return { w: Float32Array.from(vals.get(`${name}/kernel`)!), b: Float32Array.from(vals.get(`${name}/bias`)!), nin, nout };
    };
    this.hidden = model.config.gates.layerHidden;
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
    return { h: new Float32Array(this.hidden), c: new Float32Array(this.hidden) };
  }

  /** One LSTM step on the pooled block input (pooled[off..off+C)); updates state; returns the logit. */
  layerLogit(projIndex: number, pooled: Float32Array, off: number, state: LstmState): number {
    const p = this.proj.get(projIndex)!;
    const h = this.hidden;
    const xin = new Float32Array(2 * h);
    fc(pooled, off, p, xin);
    xin.set(state.h, h);
    const z = fc(xin, 0, this.lstm!, new Float32Array(4 * h));
    // Gate order i, f, g, o (same split as model.ts).
    for (let j = 0; j < h; j++) {
      const i = sigmoid(z[j]!);
      const f = sigmoid(z[h + j]!);
      const g = Math.tanh(z[2 * h + j]!);
      const o = sigmoid(z[3 * h + j]!);
      state.c[j] = f * state.c[j]! + i * g;
      state.h[j] = o * Math.tanh(state.c[j]!);
    }
    return fc(state.h, 0, this.out!, new Float32Array(1))[0]!;
  }

  /** Channel-gate logits (one per group) of unit `layer` from its pooled input. */
  channelLogits(layer: number, pooled: Float32Array, off: number): Float32Array {
    const g = this.channel.get(layer)!;
    const hid = fc(pooled, off, g.fc1, new Float32Array(g.fc1.nout));
    for (let i = 0; i < hid.length; i++) if (hid[i]! < 0) hid[i] = 0;
    return fc(hid, 0, g.fc2, new Float32Array(g.fc2.nout));
  }
}
