/**
 * Learning-rate schedules, as pure functions of progress so a resumed run gets the same rate.
 * Progress is measured in epochs (fractional within an epoch) so step and cosine agree on units.
 */
export type ScheduleKind = 'cosine' | 'step' | 'constant';

export interface ScheduleConfig {
  kind: ScheduleKind;
  /** Peak learning rate. */
  lr: number;
  /** Linear warm-up from lr/10 over this many epochs (0 = none). */
  warmupEpochs: number;
  /** step: multiply by `gamma` at each of these epochs. */
  milestones: number[];
  gamma: number;
  /** cosine: floor as a fraction of lr. */
  minFactor: number;
}

export function learningRate(s: ScheduleConfig, epochProgress: number, totalEpochs: number): number {
  if (s.warmupEpochs > 0 && epochProgress < s.warmupEpochs) {
    const f = epochProgress / s.warmupEpochs;
    return s.lr * (0.1 + 0.9 * f);
  }
  if (s.kind === 'constant') return s.lr;
  if (s.kind === 'step') {
    let lr = s.lr;
    for (const m of s.milestones) if (epochProgress >= m) lr *= s.gamma;
    return lr;
  }
  const span = Math.max(1e-9, totalEpochs - s.warmupEpochs);
  const t = Math.min(1, Math.max(0, (epochProgress - s.warmupEpochs) / span));
  const floor = s.lr * s.minFactor;
  return floor + (s.lr - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
}
