/** Placeholder until the DDI engine and profiler land (later issues); says what will be here. */
export function RunPage() {
  return (
    <div className="page" data-testid="page-run">
      <section className="card">
        <h2>Run</h2>
        <p>
          Profiling runs of Dual Dynamic Inference models will live here: pick a model and a dataset, choose the
          inference mode and backend, and run it while the connected meter records, so every inference gets its
          measured energy next to its predicted cost and the budget it has to meet.
        </p>
        <p className="muted" data-testid="run-placeholder">
          Not available yet — this page is wired up once the DDI engine and the profiler exist. For now, record
          power-only sessions on the Meters page.
        </p>
      </section>
    </div>
  );
}
