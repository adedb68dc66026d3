// esbuild plugin: bundle tfjs-core's gradient registrations.
// tfjs-core's CommonJS entry has no gradients; they are in the ES-module file
// dist/register_all_gradients.js, whose extensionless relative imports Node cannot load
// directly. With `packages: 'external'` that import would stay external and fail at run
// time, so resolve it to the file path and let esbuild inline it (registrations land in
// tfjs's global registries, shared with the external tfjs-core the rest of the code uses).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

export const tfjsGradientsPlugin = {
  name: 'tfjs-gradients',
  setup(build) {
    build.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, () => {
      const core = dirname(require.resolve('@tensorflow/tfjs-core/package.json'));
      return { path: join(core, 'dist', 'register_all_gradients.js') };
    });
  },
};
