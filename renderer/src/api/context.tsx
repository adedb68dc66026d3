import { createContext, useContext, useEffect, useRef, useState, type ReactNode } from 'react';
import type { EventName, EventPayload } from '../../../main/api/contract';
import type { ConnectionInfo, RendererApi } from './index';

const ApiContext = createContext<RendererApi | null>(null);

export function ApiProvider({ api, children }: { api: RendererApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): RendererApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside ApiProvider');
  return api;
}

/** Subscribes for the component's lifetime; the latest listener is always the one called. */
export function useApiEvent<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): void {
  const api = useApi();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => api.on(name, (p) => ref.current(p)), [api, name]);
}

export function useConnection(): ConnectionInfo {
  const api = useApi();
  const [info, setInfo] = useState<ConnectionInfo>({ state: 'connecting', failures: 0 });
  useEffect(() => api.onConnection(setInfo), [api]);
  return info;
}
