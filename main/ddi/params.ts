/**
 * Parameter list of a model, derived from its layout. Names are stable and hierarchical
 * ("block3/conv1/kernel"); they are the keys of weights.bin and of the variable groups.
 */
import type { Layout } from './layout';

export type ParamGroup = 'backbone' | 'gates' | 'exits' | 'stats';
export type ParamInit = { kind: 'kaiming'; fanOut: number } | { kind: 'uniform'; limit: number } | { kind: 'const'; value: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  group: ParamGroup;
  init: ParamInit;
}

export function paramSpecs(layout: Layout): ParamSpec[] {
  const cfg = layout.config;
  const specs: ParamSpec[] = [];
  const conv = (name: string, kh: number, cin: number, cout: number, group: ParamGroup) =>
    specs.push({ name: `${name}/kernel`, shape: [kh, kh, cin, cout], group, init: { kind: 'kaiming', fanOut: kh * kh * cout } });
  const bn = (name: string, c: number, group: ParamGroup) => {
    specs.push({ name: `${name}/gamma`, shape: [c], group, init: { kind: 'const', value: 1 } });
    specs.push({ name: `${name}/beta`, shape: [c], group, init: { kind: 'const', value: 0 } });
    specs.push({ name: `${name}/mean`, shape: [c], group: 'stats', init: { kind: 'const', value: 0 } });
    specs.push({ name: `${name}/variance`, shape: [c], group: 'stats', init: { kind: 'const', value: 1 } });
  };
  const dense = (name: string, nin: number, nout: number, group: ParamGroup, biasInit?: number) => {
    const limit = 1 / Math.sqrt(nin);
    specs.push({ name: `${name}/kernel`, shape: [nin, nout], group, init: { kind: 'uniform', limit } });
    specs.push({
      name: `${name}/bias`,
      shape: [nout],
      group,
      init: biasInit === undefined ? { kind: 'uniform', limit } : { kind: 'const', value: biasInit },
    });
  };
  const g = cfg.gates;
  const h = g.layerHidden;

  for (const u of layout.trunk) {
    if (u.kind === 'stem') {
      conv('stem/conv', 3, u.inC, u.outC, 'backbone');
      if (cfg.kind === 'resnet') bn('stem/bn', u.outC, 'backbone');
    } else if (u.kind === 'block') {
      conv(`${u.id}/conv1`, 3, u.inC, u.mid, 'backbone');
      bn(`${u.id}/bn1`, u.mid, 'backbone');
      conv(`${u.id}/conv2`, 3, u.mid, u.outC, 'backbone');
      bn(`${u.id}/bn2`, u.outC, 'backbone');
      if (u.projection) {
        conv(`${u.id}/proj`, 1, u.inC, u.outC, 'backbone');
        bn(`${u.id}/projbn`, u.outC, 'backbone');
      }
    } else if (u.kind === 'dense') {
      const k = u.outC - u.inC;
      bn(`${u.id}/bn1`, u.inC, 'backbone');
      conv(`${u.id}/conv1`, 1, u.inC, u.mid, 'backbone');
      bn(`${u.id}/bn2`, u.mid, 'backbone');
      conv(`${u.id}/conv2`, 3, u.mid, k, 'backbone');
    } else {
      bn(`${u.id}/bn`, u.inC, 'backbone');
      conv(`${u.id}/conv`, 1, u.inC, u.outC, 'backbone');
    }
    if (u.groups > 0) {
      dense(`gate/channel${u.layer}/fc1`, u.inC, g.channelHidden, 'gates');
      dense(`gate/channel${u.layer}/fc2`, g.channelHidden, u.groups, 'gates', g.initBias);
    }
  }
  if (layout.layerGateSteps > 0) {
    // One input projection per stage width (channel widths differ), one LSTM and one output head shared by all.
    const stages = new Set(layout.trunk.filter((u) => u.layerGated).map((u) => u.layerGateProj));
    for (const s of [...stages].sort()) dense(`gate/layer/proj${s}`, layout.stageWidths[s]!, h, 'gates');
    const limit = 1 / Math.sqrt(h);
    specs.push({ name: 'gate/layer/lstm/kernel', shape: [2 * h, 4 * h], group: 'gates', init: { kind: 'uniform', limit } });
    specs.push({ name: 'gate/layer/lstm/bias', shape: [4 * h], group: 'gates', init: { kind: 'uniform', limit } });
    dense('gate/layer/out', h, 1, 'gates', g.initBias);
  }
  for (const e of layout.exits) {
    conv(`${e.id}/conv`, 3, e.inC, e.headWidth, 'exits');
    bn(`${e.id}/bn`, e.headWidth, 'exits');
    dense(`${e.id}/fc`, e.headWidth, cfg.numClasses, 'exits');
  }
  if (cfg.kind === 'densenet') bn('classifier/bn', layout.finalC, 'backbone');
  dense('classifier/fc', layout.finalC, cfg.numClasses, 'backbone');
  return specs;
}

/** buildModel(config, seed) gives identical weights on every backend: the PRNG is deterministic. */
export { mulberry32 } from '../util/prng';

export function initValues(spec: ParamSpec, rand: () => number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const init = spec.init;
  if (init.kind === 'const') out.fill(init.value);
  else if (init.kind === 'uniform') for (let i = 0; i < n; i++) out[i] = (2 * rand() - 1) * init.limit;
  else {
    const std = Math.sqrt(2 / init.fanOut);
    for (let i = 0; i < n; i += 2) {
      // Box–Muller: two normals per pair of uniforms.
      const u1 = Math.max(rand(), 1e-12);
      const u2 = rand();
      const r = Math.sqrt(-2 * Math.log(u1)) * std;
      out[i] = r * Math.cos(2 * Math.PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
  return out;
}
