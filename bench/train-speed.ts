// Training throughput (images/s) of DDI models on the selected backend with the composed
// Conv2DBackpropFilter kernel. Usage (after bundling with esbuild, see docs/benchmarks.md):
//   node .cache/train-speed.cjs [backend=wasm] [batch=64] [steps=6] [preset...]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { resnetConfig, densenetConfig, type ModelConfig } from '../main/ddi/config';
import { buildModel } from '../main/ddi/model';

import { SgdMomentum } from '../main/ddi/train/optimizer';
import { trainStep } from '../main/ddi/train/step';
import { prepareTraining } from '../main/ddi/train/setup';

const configs: Record<string, () => ModelConfig> = {
  'resnet8-static': () => resnetConfig({ depth: 8, gates: { layer: false, channel: false } }),
  'resnet14-static': () => resnetConfig({ depth: 14, gates: { layer: false, channel: false } }),
  'resnet20-static': () => resnetConfig({ depth: 20, gates: { layer: false, channel: false } }),
  'resnet14-mgl2s': () => resnetConfig({ depth: 14 }),
  'resnet20-mgl2s': () => resnetConfig({ depth: 20 }),
  'resnet14-w12': () => resnetConfig({ depth: 14, widths: [12, 24, 48], gates: { layer: false, channel: false } }),
  'resnet14-w12-mgl2s': () => resnetConfig({ depth: 14, widths: [12, 24, 48] }),
  'densenet-small': () => densenetConfig(),
  'densenet-444-k8': () => densenetConfig({ blockConfig: [4, 4, 4], growthRate: 8 }),
};

async function main(): Promise<void> {
  const [backend = 'wasm', batchS = '64', stepsS = '6', ...names] = process.argv.slice(2);
  prepareTraining();
  await tf.setBackend(backend);
  const batch = Number(batchS);
  const steps = Number(stepsS);
  for (const name of names.length ? names : Object.keys(configs)) {
    const cfg = configs[name]!();
    const model = buildModel(cfg, 1);
    const opt = new SgdMomentum({ momentum: 0.9, weightDecay: 5e-4 });
    const x = tf.randomUniform([batch, 28, 28, 1]) as tf.Tensor4D;
    const labels = Int32Array.from({ length: batch }, (_, i) => i % 10);
    const gated = cfg.gates.layer || cfg.gates.channel;
    const o = {
      groups: ['backbone', 'gates', 'exits'] as const,
      lr: 0.01,
      loss: { exitWeight: 1, cost: gated ? { target: 0.5, beta: 0.5 } : undefined },
      gates: gated ? ('learned' as const) : ('all-on' as const),
    };
    trainStep(model, opt, x, labels, { ...o, groups: [...o.groups] }); // warm-up
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let i = 0; i < steps; i++) trainStep(model, opt, x, labels, { ...o, groups: [...o.groups] });
    const ms = (performance.now() - t0) / steps;
    const c = process.cpuUsage(c0);
    const cpuMs = (c.user + c.system) / 1000 / steps;
    // Wall-clock img/s depends on what else runs on the machine; img per CPU-second does not much.
    console.log(
      `${name.padEnd(18)} ${backend} batch ${batch}: ${ms.toFixed(0)} ms/step wall, ${((batch * 1000) / ms).toFixed(0)} img/s wall, ` +
        `${((batch * 1000) / cpuMs).toFixed(0)} img per CPU-s, params ${model.numParams}`,
    );
    x.dispose();
    opt.dispose();
    model.dispose();
  }
}
void main();
