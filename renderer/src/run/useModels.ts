import { useCallback, useEffect, useState } from 'react';
import type { CallOutput } from '../../../main/api/contract';
import { useApi } from '../api/context';

export type ModelList = CallOutput<'models.list'>;
export type BackendInfo = CallOutput<'engine.info'>;

/**
 * The installed models and the engine's backend. Both go through the engine worker, which starts
 * on the first call (about a second), so they load on their own and the page shows each as it comes.
 */
export function useModels() {
  const api = useApi();
  const [list, setList] = useState<ModelList | null>(null);
  const [listError, setListError] = useState<unknown>(null);
  const [backend, setBackend] = useState<BackendInfo | null>(null);
  const [backendError, setBackendError] = useState<unknown>(null);
  const [loading, setLoading] = useState(false);

  const reload = useCallback(() => {
    let live = true;
    setLoading(true);
    api.call('models.list', {}).then(
      (l) => {
        if (!live) return;
        setList(l);
        setListError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setListError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [api]);

  useEffect(reload, [reload]);
  useEffect(() => {
    let live = true;
    api.call('engine.info', {}).then(
      (b) => live && setBackend(b),
      (e: unknown) => live && setBackendError(e),
    );
    return () => {
      live = false;
    };
  }, [api]);

  return { list, listError, backend, backendError, loading, reload };
}
