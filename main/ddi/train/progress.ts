/**
 * Training progress line: stage, epoch, step, loss, accuracy, achieved cost %, img/s and ETA.
 * On a terminal it redraws one line; otherwise (nohup logs, CI) it prints a line every
 * `everySteps` steps so logs stay readable.
 */
export interface ProgressState {
  stage: string;
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  loss: number;
  acc: number;
  costPct: number;
  imgPerSec: number;
  etaSeconds: number;
  lr: number;
}

export function formatDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?';
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = Math.floor(s % 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

export function formatProgress(p: ProgressState, width = 20): string {
  const frac = p.steps > 0 ? p.step / p.steps : 0;
  const filled = Math.round(frac * width);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return (
    `${p.stage} epoch ${p.epoch}/${p.epochs} [${bar}] ${p.step}/${p.steps} ` +
    `loss ${p.loss.toFixed(3)} acc ${(100 * p.acc).toFixed(1)}% cost ${p.costPct.toFixed(1)}% ` +
    `lr ${p.lr.toPrecision(2)} ${p.imgPerSec.toFixed(0)} img/s ETA ${formatDuration(p.etaSeconds)}`
  );
}

export class ProgressPrinter {
  private lastLen = 0;
  constructor(
    private readonly out: NodeJS.WriteStream | { write(s: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly everySteps = 50,
  ) {}

  update(p: ProgressState): void {
    const line = formatProgress(p);
    if (this.out.isTTY) {
      this.out.write(`\r${line}${' '.repeat(Math.max(0, this.lastLen - line.length))}`);
      this.lastLen = line.length;
    } else if (p.step % this.everySteps === 0 || p.step === p.steps) {
      this.out.write(`${line}\n`);
    }
  }

  /** A full line (epoch summary, messages) that must not be overwritten. */
  line(s: string): void {
    if (this.out.isTTY && this.lastLen > 0) this.out.write('\n');
    this.lastLen = 0;
    this.out.write(`${s}\n`);
  }
}
