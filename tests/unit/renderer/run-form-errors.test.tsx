// The Run form says what is wrong beside the field it concerns, with no browser validation bubbles.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { RunForm } from '../../../renderer/src/run/RunForm';
import { toRunInput, type RunFormValues } from '../../../renderer/src/run/runForm';

const values: RunFormValues = { model: 'tiny', mode: 'ddi', budgetValue: '1e99x', budgetUnit: 'MMAC', limit: '5' };

function render(v: RunFormValues, formError: string | null): string {
  return renderToStaticMarkup(<RunForm models={[]} values={v} onChange={() => {}} onSubmit={() => {}} busy={false} busyText="Run" formError={formError} />);
}

describe('Run form errors', () => {
  it('puts the budget sentence right after the budget field and marks it invalid; the form has noValidate', () => {
    const parsed = toRunInput(values);
    expect('error' in parsed && parsed.field).toBe('budget');
    const html = render(values, 'error' in parsed ? parsed.error : null);
    expect(html).toMatch(/<form[^>]*noValidate=""/);
    const budgetAt = html.indexOf('id="run-budget"');
    const errorAt = html.indexOf('id="run-budget-error"');
    const limitAt = html.indexOf('id="run-limit"');
    expect(budgetAt).toBeGreaterThan(0);
    expect(errorAt).toBeGreaterThan(budgetAt);
    expect(errorAt).toBeLessThan(limitAt);
    expect(html).toMatch(/id="run-budget"[^>]*aria-invalid="true"/);
  });

  it('the image count error goes beside the count; a sentence from the core stays below the form', () => {
    const bad = { ...values, budgetValue: '2', limit: '0' };
    const parsed = toRunInput(bad);
    const html = render(bad, 'error' in parsed ? parsed.error : null);
    expect(html.indexOf('id="run-limit-error"')).toBeGreaterThan(html.indexOf('id="run-limit"'));
    const core = render({ ...values, budgetValue: '2' }, 'Budget 2 MMAC is below the first exit (3.1 MMAC); give at least 3.1 MMAC.');
    expect(core).toContain('Budget 2 MMAC is below the first exit');
    expect(core).not.toMatch(/id="run-(budget|limit|model)-error"/);
  });
});
