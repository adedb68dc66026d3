/** Simulated meters must never pass for measurements: every place a meter is named shows this. */
export function SimBadge({ simulated }: { simulated: boolean | undefined }) {
  if (!simulated) return null;
  return (
    <span className="badge badge-sim" data-testid="sim-badge" title="Simulated meter: these numbers are not a measurement">
      SIMULATED
    </span>
  );
}
