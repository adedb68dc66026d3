/** A stored profiling run as the app shows it: the analysis result, the per-inference rows and the phases. */
import type { CallOutput } from '../api/contract';
import { graphBuildsOf } from '../domain/inference-record';
import { parseObject } from '../export/profile-data';
import type { Db } from '../store/database';
import { ProfileRepo } from '../store/profile-repo';
import { SessionsRepo } from '../store/sessions-repo';

export function profileDetails(db: Db, sessionId: number): CallOutput<'profile.get'> {
  new SessionsRepo(db).get(sessionId); // a bad id fails with the store's sentence
  const repo = new ProfileRepo(db);
  const marker = repo.markers(sessionId, 'profile')[0];
  const result = marker?.data ? (JSON.parse(marker.data) as CallOutput<'profile.get'>['result']) : null;
  const inferences = repo.inferences(sessionId).map((r) => ({
    seq: r.seq,
    startS: r.start_ns / 1e9,
    endS: r.end_ns / 1e9,
    exit: r.exit_index,
    macs: r.macs,
    label: r.label,
    prediction: r.prediction,
    predictedEnergyJ: r.predicted_energy_j,
    measuredEnergyJ: r.measured_energy_j,
    activeEnergyJ: r.active_energy_j,
    graphBuilds: graphBuildsOf(parseObject(r.record)),
  }));
  // The run's phases as recorded (host time), so a view can mark warm-up, baseline and pattern on the trace.
  const phases = repo.markers(sessionId, 'phase').map((m) => ({ label: m.label, startS: m.t_ns / 1e9, endS: m.end_ns === null ? null : m.end_ns / 1e9 }));
  return { result, inferences, phases };
}
