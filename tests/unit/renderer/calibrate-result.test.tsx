// The Calibrate page's result card, rendered as static markup: the held-out run links each of its
// sessions (one per segment), and a result stored before segments still shows its one session.
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { CalibrationResultCard } from '../../../renderer/src/calibrate/CalibratePage';
import type { CalibrationResultView } from '../../../renderer/src/calibrate/calibrateForm';

const result = (heldOut: Partial<CalibrationResultView['heldOut']>): CalibrationResultView => ({
  costTable: { name: 'bench-1', backend: { name: 'ort', version: '1.30.0' }, model: { name: 'mgl2s-50' }, idlePowerW: 0.05 },
  simulated: false,
  runs: [],
  fit: { energy: { intercept: 1e-5, parameters: [], measuredMape: 0.1 }, latency: { intercept: 1e-4, parameters: [], residuals: { mape: 0.2 } } },
  heldOut: {
    sessionId: 4,
    mode: 'ddi',
    budget: '16742391MAC',
    attribution: 'per-inference',
    observations: 50,
    energyMape: 0.5,
    energyTotalError: 0.02,
    energyMeanError: 0.02,
    energyMeanCi95: 0.07,
    latencyMeanError: 0.03,
    analyticEnergyMape: 0.9,
    latencyMape: 0.4,
    measuredEnergyPerInferenceJ: 8e-5,
    predictedEnergyPerInferenceJ: 8.16e-5,
    ...heldOut,
  },
});

describe('calibration result card', () => {
  it('links every session of the held-out run', () => {
    const html = renderToStaticMarkup(<CalibrationResultCard r={result({ sessionIds: [4, 10, 16] })} model="mgl2s-50" />);
    expect(html).toContain(
      'sessions <span><a href="#/sessions/4">4</a></span><span>, <a href="#/sessions/10">10</a></span><span>, <a href="#/sessions/16">16</a></span>',
    );
  });

  it('shows the one session of a result without segments', () => {
    const html = renderToStaticMarkup(<CalibrationResultCard r={result({})} model="mgl2s-50" />);
    expect(html).toContain('session <span><a href="#/sessions/4">4</a></span>');
    expect(html).not.toContain('sessions ');
  });
});
