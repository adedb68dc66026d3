/**
 * tfjs-core's CommonJS build (what the CLI bundle loads) ships no gradient definitions; they live
 * in the ES-module file dist/register_all_gradients.js, which only the union package imports.
 * Importing it here lets esbuild inline the gradient configs into our bundles; registration goes
 * to the global kernel registry, so it is shared with the engine instance the app uses.
 */
import '@tensorflow/tfjs-core/dist/register_all_gradients';

/** Call before training: the import above did the work; the call keeps the import from being dropped. */
export function registerAllGradients(): void {
  // Intentionally empty: registration is a side effect of the module import.
}
