/**
 * Intra-op threads on ONNX Runtime: with more than one thread, every session is created with
 * spin-waiting off (the executor holds dozens of sessions, each with its own pool, whose spinning
 * threads otherwise fight over the cores), and eval with DDI_ORT_THREADS=2 reports exactly what it
 * reports with one thread. Needs the built CLI for the second part (npm run build:main).
 */
import { describe, expect, it } from 'vitest';
import { loadOrtBinding, requireOrtBinding } from '../../../main/ddi/runtime/ort-binding';
import { runCli } from '../../helpers/cli';

/** onnxruntime-node's modules as requireOrtBinding reads them, with a native session that records its load options. */
function recordingModules(seen: Record<string, unknown>[]): (id: string) => unknown {
  class NativeSession {
    inputMetadata = [{ name: 'x' }];
    outputMetadata = [{ name: 'y' }];
    loadModel(_b: ArrayBufferLike, _o: number, _l: number, options: Record<string, unknown>): void {
      seen.push(options);
    }
    run(): Record<string, unknown> {
      return {};
    }
    dispose(): void {}
  }
  return (id) => {
    if (id === 'onnxruntime-node') return { Tensor: class {} };
    if (id === 'onnxruntime-node/package.json') return { version: '1.30.0' };
    if (id === 'onnxruntime-node/dist/binding') return { binding: { InferenceSession: NativeSession }, initOrt: () => {} };
    throw new Error(`unexpected require ${id}`);
  };
}

describe('ONNX Runtime intra-op threads', () => {
  it('turns spin-waiting off for sessions with more than one thread, and leaves one-thread sessions as they are', () => {
    const seen: Record<string, unknown>[] = [];
    const b = requireOrtBinding(recordingModules(seen));
    b.createSession(new Uint8Array(4), { intraOpThreads: 1 });
    b.createSession(new Uint8Array(4), { intraOpThreads: 2 });
    expect(seen[0]!.intraOpNumThreads).toBe(1);
    expect(seen[0]!.extra).toBeUndefined();
    expect(seen[1]!.intraOpNumThreads).toBe(2);
    expect(seen[1]!.extra).toEqual({ session: { intra_op: { allow_spinning: '0' } } });
  });

  const ort = loadOrtBinding();
  if (!ort.ok) console.warn(`ort-threads: the eval case is skipped, onnxruntime-node is not available (${ort.reason})`);
  it.skipIf(!ort.ok)('eval with DDI_ORT_THREADS=2 reports exactly what it reports with one thread', () => {
    const args = ['eval', '--model', 'mgl2s-50', '--dataset', 'sample', '--limit', '40', '--json', '--backend', 'ort'];
    const one = runCli(args, { DDI_ORT_THREADS: '1' });
    const two = runCli(args, { DDI_ORT_THREADS: '2' });
    expect(one.code, one.stderr).toBe(0);
    expect(two.code, two.stderr).toBe(0);
    expect(JSON.parse(two.stdout)).toEqual(JSON.parse(one.stdout));
  });
});
