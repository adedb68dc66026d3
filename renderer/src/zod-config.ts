// Imported first by main.tsx. zod 4 probes for `new Function` support to JIT-compile schemas; under
// the app's CSP (no 'unsafe-eval') that probe is blocked and reported as a CSP violation. Jitless
// mode skips the probe: the renderer parses few and small messages, so speed does not matter.
import { z } from 'zod';

z.config({ jitless: true });
