import { createContext, useContext, type ReactNode } from 'react';
import type { MarkerDto } from '../../../main/api/contract';

/** A time range of the session, seconds from its start. */
export interface TimeRange {
  fromS: number;
  toS: number;
}

/**
 * What the session page shares with every trace drawn on it (the plain trace and a profiling run's):
 * the selected range, the markers, and a way to ask for a new marker. A context rather than props,
 * so a trace inside another view (ProfileSession) takes part without that view passing them on.
 */
export interface Workbench {
  selection: TimeRange | null;
  select: (range: TimeRange | null) => void;
  markers: readonly MarkerDto[];
  /** Opens the marker form at a time (endS null) or over a range. */
  requestMarker: (tS: number, endS: number | null) => void;
  /** A range every trace should zoom to (a new object each time it is asked). */
  zoomRequest: TimeRange | null;
  /** Shown right under the trace (the selection's statistics), so it never pushes the trace away. */
  belowTrace?: ReactNode;
}

export const WorkbenchContext = createContext<Workbench | null>(null);

export function useWorkbench(): Workbench | null {
  return useContext(WorkbenchContext);
}
