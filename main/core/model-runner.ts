/**
 * The core's door to the DDI engine: one engine worker thread (started on first use, so the app
 * opens instantly and meter I/O never waits for inference), model lookup by folder name, and quick
 * inference runs on the shipped sample with a summary the Run page and profiling runs build on.
 */
import { basename } from 'node:path';
import type { CallOutput, InferenceRun } from '../api/contract';
import { parseBudget } from '../domain/budget';
import { takesBudget } from '../domain/modes';
import type { BackendName } from '../ddi/backend';
import type { ModelSummary } from '../ddi/io';
import { modelSearchDirs, resolveModel } from '../ddi/model-resolver';
import type { InferenceMode } from '../ddi/types';
import { EngineWorkerHost } from '../ddi/worker/host';
import { UserError } from '../util/errors';

export class ModelRunner {
  private host: EngineWorkerHost | undefined;
  private loadedDir: string | undefined;

  /** The engine worker (started on first use); profiling runs drive it directly. */
  engine(): EngineWorkerHost {
    const host = this.worker();
    // Whoever drives the worker directly loads models and cost tables of its own: the next run reloads.
    this.loadedDir = undefined;
    return host;
  }

  private worker(): EngineWorkerHost {
    this.host ??= new EngineWorkerHost();
    return this.host;
  }

  /**
   * The engine on a chosen executor. The backend is fixed when a worker starts (tfjs and ONNX
   * Runtime initialise once per thread), so another backend is another worker; one such worker is
   * kept beside the default and replaced when a third backend is asked for (profiling runs and
   * calibrations, its only users, run one at a time). A backend that is not available here is
   * refused in one sentence rather than silently replaced by the fallback.
   */
  async engineFor(backend?: BackendName): Promise<EngineWorkerHost> {
    const main = this.engine();
    if (!backend || (await main.start()).name === backend) return main;
    if (this.extra?.backend === backend) return this.extra.host;
    await this.extra?.host.close();
    this.extra = undefined;
    const host = new EngineWorkerHost({ backend });
    const info = await host.start();
    if (info.name !== backend) {
      await host.close();
      const why = info.notes[0]?.replace(/^Using .*? because /, '').replace(/\.$/, '') ?? 'it did not start';
      throw new UserError(
        `The ${backend} backend is not available on this machine: ${why}; choose ${info.name} or leave the backend on its default.`,
        'backend-unavailable',
      );
    }
    this.extra = { backend, host };
    return host;
  }
  private extra: { backend: BackendName; host: EngineWorkerHost } | undefined;

  async backend(): Promise<CallOutput<'engine.info'>> {
    const b = await this.worker().start();
    return { name: b.name, version: b.version, notes: b.notes };
  }

  async list(): Promise<CallOutput<'models.list'>> {
    const { models, invalid } = await this.worker().listModels(modelSearchDirs());
    return { models: models.map(toDto), invalid };
  }

  /** The model of that name (the CLI's resolver, names only: the app never loads a folder by path). */
  async resolve(id: string): Promise<ModelSummary> {
    const dir = resolveModel(id);
    const { models, invalid } = await this.worker().listModels([dir]);
    const found = models.find((m) => m.dir === dir);
    if (!found) throw new UserError(invalid[0]?.error ?? `The model folder ${dir} could not be read; check its model.json.`, 'bad-model-file');
    return found;
  }

  async run(input: { model: string; mode: InferenceMode; budget?: string | undefined; limit: number }): Promise<InferenceRun> {
    const budget = input.budget ? parseBudget(input.budget) : null;
    if (budget && !takesBudget(input.mode)) {
      throw new UserError(`A budget only applies to the radi and ddi modes; drop it or choose --mode radi/ddi.`, 'bad-budget');
    }
    const model = await this.resolve(input.model);
    const host = this.worker();
    if (this.loadedDir !== model.dir) {
      await host.loadModel(model.dir);
      this.loadedDir = model.dir;
    }
    const indices = Array.from({ length: input.limit }, (_, i) => i);
    const started = process.hrtime.bigint();
    const records = await host.inferDataset('sample', indices, { mode: input.mode, budget, batchSize: 1 });
    const wallS = Number(process.hrtime.bigint() - started) / 1e9;
    const b = await host.start();
    const exitCounts: Record<string, number> = {};
    let correct = 0;
    let macs = 0;
    let within = 0;
    for (const r of records) {
      exitCounts[r.exitId] = (exitCounts[r.exitId] ?? 0) + 1;
      if (r.label !== undefined && r.label === r.predictedClass) correct++;
      macs += r.macs;
      if (!budget || (r.budgetSpent ?? Infinity) <= budget.value) within++;
    }
    return {
      model: basename(model.dir),
      backend: b.name,
      mode: input.mode,
      budget: input.budget ?? null,
      dataset: 'sample',
      count: records.length,
      correct,
      meanMacs: records.length ? macs / records.length : 0,
      staticMacs: records[0]?.staticMacs ?? model.backboneMacs,
      withinBudget: records.length ? within / records.length : 1,
      exitCounts,
      meanWallS: records.length ? wallS / records.length : 0,
      records,
    };
  }

  async close(): Promise<void> {
    await this.extra?.host.close();
    this.extra = undefined;
    await this.host?.close();
    this.host = undefined;
  }
}

function toDto(m: ModelSummary): CallOutput<'models.list'>['models'][number] {
  return { ...m, id: basename(m.dir) };
}
