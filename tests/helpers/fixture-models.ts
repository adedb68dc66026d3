import { join } from 'node:path';

/** The test-only models (vitest.config.mts points DDI_MODELS_DIR here, so they resolve by name too). */
export const FIXTURE_MODELS_DIR = join(__dirname, '..', 'fixtures', 'models');

/** A narrow gated ResNet-14 with random weights: valid, small, meaningless predictions. */
export const TINY_MODEL_DIR = join(FIXTURE_MODELS_DIR, 'tiny-random-test');
