/**
 * The run form's pure logic: modes and their one-line meaning, budget units, and turning what the
 * user typed into a `models.run` input (or a sentence saying what to fix, before anything is sent).
 */
import type { CallInput } from '../../../main/api/contract';
import { BUDGET_UNIT_CHOICES } from '../../../main/domain/budget';
import { takesBudget, usesGates } from '../../../main/domain/modes';

export type Mode = CallInput<'models.run'>['mode'];
export type RunInput = CallInput<'models.run'>;

export const MODES: Array<{ mode: Mode; label: string; explain: string }> = [
  { mode: 'static', label: 'static', explain: 'Full network: every block, every channel, the final classifier.' },
  { mode: 'iadi', label: 'iadi', explain: 'Input-adaptive: gates skip blocks and channels per input; no budget.' },
  { mode: 'radi', label: 'radi', explain: 'Resource-aware: a hard budget; inference halts at an exit before exceeding it.' },
  { mode: 'ddi', label: 'ddi', explain: 'Dual dynamic: gated skipping and budget halting at exits, both at once.' },
];

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface RunFormValues {
  model: string;
  mode: Mode;
  budgetValue: string;
  budgetUnit: string;
  limit: string;
}

/** "2.5" + "MMAC" → "2.5MMAC", the form the core parses; or why it is not a budget. */
export function budgetText(value: string, unit: string): { text: string } | { error: string } {
  const v = value.trim();
  if (v === '') return { error: 'Enter a budget: a number and a unit, e.g. 2.5 MMAC or 3 ms.' };
  // Exponents are numbers too (1e6); the core refuses one too large for any model, with its limit.
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) return { error: `"${v}" is not a number; write the budget like 2.5 or 800.` };
  const n = Number(v);
  if (!(n > 0)) return { error: 'A budget must be more than zero.' };
  if (v.startsWith('+')) return { error: `Write the budget without a sign, like ${v.slice(1)}.` };
  if (!BUDGET_UNIT_CHOICES.some((g) => g.units.includes(unit))) return { error: `Unknown budget unit "${unit}".` };
  return { text: `${v}${unit}` };
}

/** The form field a problem belongs to, so the form shows it beside that field. */
export type RunField = 'model' | 'budget' | 'limit';

/** The form as a `models.run` input, or the first problem as one sentence (and its field). */
export function toRunInput(f: RunFormValues): { input: RunInput } | { error: string; field: RunField } {
  if (!f.model) return { error: 'Choose a model to run.', field: 'model' };
  const limitText = f.limit.trim();
  const limit = Number(limitText);
  if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) {
    return { error: `Number of images must be a whole number from 1 to ${MAX_LIMIT}.`, field: 'limit' };
  }
  if (!takesBudget(f.mode)) return { input: { model: f.model, mode: f.mode, limit } };
  const b = budgetText(f.budgetValue, f.budgetUnit);
  if ('error' in b) return { error: `Mode ${f.mode} needs a hard budget. ${b.error}`, field: 'budget' };
  return { input: { model: f.model, mode: f.mode, budget: b.text, limit } };
}

/**
 * A starting budget for a model: half its static MACs, 3 significant digits, in the largest MAC
 * unit that keeps the number ≥ 1, so switching to radi/ddi gives a runnable example rather than
 * an empty field.
 */
export function suggestedBudget(staticMacs: number): { value: string; unit: string } {
  const half = Math.max(1, staticMacs / 2);
  const [scale, unit] = half >= 1e6 ? [1e6, 'MMAC'] : half >= 1e3 ? [1e3, 'kMAC'] : [1, 'MAC'];
  return { value: String(Number((half / scale).toPrecision(3))), unit };
}

/**
 * A budget as sent ("2535000MAC") made readable ("2,535,000 MAC"). The number is kept exact, not
 * rounded to a prefix: a hard budget shown rounded up would look looser than it was.
 */
export function budgetLabel(text: string | null | undefined): string {
  if (!text) return '—';
  const m = /^(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-zµ]+)$/.exec(text.trim());
  if (!m) return text;
  const [, num, unit] = m;
  const [int, frac] = num!.split('.');
  const grouped = int ? Number(int).toLocaleString('en-US') : '0';
  return `${grouped}${frac !== undefined ? `.${frac}` : ''} ${unit}`;
}

/**
 * What a mode can actually do with this model, when that differs from its description: a model
 * without gates cannot skip, one without exits can only stop at the classifier. Null when the mode
 * works as described. The core runs these anyway; this only keeps the result from surprising.
 */
export function modeCaveat(mode: Mode, model: { layerGates: boolean; channelGates: boolean; exits: number } | undefined): string | null {
  if (!model) return null;
  const gates = model.layerGates || model.channelGates;
  const skips = !gates ? null : model.layerGates && model.channelGates ? null : model.layerGates ? 'blocks only' : 'channels only';
  if (usesGates(mode)) {
    if (!gates) {
      return mode === 'iadi'
        ? 'This model has no gates: iadi computes exactly what static does.'
        : 'This model has no gates: ddi only halts at exits, like radi.';
    }
    if (skips) return `This model's gates skip ${skips}.`;
  }
  if (takesBudget(mode) && model.exits === 0) {
    return 'This model has no early exits: the budget must cover the whole network to the classifier.';
  }
  return null;
}
