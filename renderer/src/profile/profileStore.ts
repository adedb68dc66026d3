/**
 * The profiling run in flight, kept outside React: leaving the Run page and coming back finds the
 * run still shown with its progress, and its end is seen even while another page is open.
 */
import { useSyncExternalStore } from 'react';
import type { CallInput } from '../../../main/api/contract';
import type { RendererApi } from '../api';
import type { ProfileProgress } from './profileLogic';

export type ProfileInput = CallInput<'profile.start'>;

export interface ProfileState {
  /** The run going on (from the click until its 'done' or 'failed'). */
  running: {
    input: ProfileInput;
    sessionId: number | null;
    progress: ProfileProgress | null;
    /** Local time the progress arrived, to keep the stopwatch moving between events. */
    receivedAtMs: number;
    cancelling: boolean;
  } | null;
  /** The last run that ended, and how. */
  finished: { sessionId: number } | null;
  /** A refusal (before the session existed) or a failure mid-run: the error and the session kept, if any. */
  error: { error: unknown; sessionId: number | null } | null;
}

export interface ProfileStore {
  get(): ProfileState;
  subscribe(listener: () => void): () => void;
  start(api: Pick<RendererApi, 'call' | 'on'>, input: ProfileInput, onDone?: (sessionId: number) => void): Promise<void>;
  cancel(api: Pick<RendererApi, 'call'>): Promise<void>;
  /** A problem found before anything was sent (the form, the settings): shown like a core refusal. */
  refuse(sentence: string): void;
  clear(): void;
}

export function createProfileStore(now: () => number = Date.now): ProfileStore {
  let state: ProfileState = { running: null, finished: null, error: null };
  const listeners = new Set<() => void>();
  const set = (next: Partial<ProfileState>) => {
    state = { ...state, ...next };
    for (const l of listeners) l();
  };
  return {
    get: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start(api, input, onDone) {
      if (state.running) return;
      set({ running: { input, sessionId: null, progress: null, receivedAtMs: now(), cancelling: false }, error: null, finished: null });
      // Listen before asking: the first progress can arrive before the answer with the session id.
      const off = api.on('profile.progress', (p) => {
        const r = state.running;
        if (!r) return;
        if (p.sessionId !== null && r.sessionId !== null && p.sessionId !== r.sessionId) return; // another window's run
        if (p.phase === 'done') {
          const sessionId = p.sessionId ?? r.sessionId;
          off();
          set({ running: null, finished: sessionId !== null ? { sessionId } : null });
          if (sessionId !== null) onDone?.(sessionId);
        } else if (p.phase === 'failed') {
          off();
          set({ running: null, error: { error: new Error(p.message ?? 'The profiling run failed.'), sessionId: p.sessionId ?? r.sessionId } });
        } else {
          set({ running: { ...r, sessionId: p.sessionId ?? r.sessionId, progress: p, receivedAtMs: now() } });
        }
      });
      try {
        const { sessionId } = await api.call('profile.start', input);
        const r = state.running as ProfileState['running']; // events may have changed it while awaiting
        if (r && r.sessionId === null) set({ running: { ...r, sessionId } });
      } catch (e) {
        off();
        set({ running: null, error: { error: e, sessionId: null } });
      }
    },
    async cancel(api) {
      if (!state.running || state.running.cancelling) return;
      set({ running: { ...state.running, cancelling: true } });
      try {
        await api.call('profile.cancel', {});
      } catch (e) {
        if (state.running) set({ running: { ...state.running, cancelling: false }, error: { error: e, sessionId: state.running.sessionId } });
      }
    },
    refuse(sentence) {
      set({ error: { error: new Error(sentence), sessionId: null }, finished: null });
    },
    clear() {
      if (state.error || state.finished) set({ error: null, finished: null });
    },
  };
}

/** The profiling store of this renderer (one window, one run at a time, as the core allows). */
export const profileStore = createProfileStore();

export function useProfileState(): ProfileState {
  return useSyncExternalStore(profileStore.subscribe, profileStore.get, profileStore.get);
}
