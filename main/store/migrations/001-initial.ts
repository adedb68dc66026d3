/**
 * Schema v1. Samples are never one row each: they live in fixed-duration chunks (BLOB of
 * little-endian float32, one plane per channel) with per-chunk min/max/mean per channel, so a trace
 * of any length is drawn from the stats and only the zoomed-in part decodes BLOBs.
 * Times: *_ns columns are host-monotonic nanoseconds from the session's start; *_at columns are
 * ISO-8601 wall-clock strings for people.
 */
export const sql = `
CREATE TABLE meters (
  id            INTEGER PRIMARY KEY,
  spec          TEXT    NOT NULL,
  driver        TEXT    NOT NULL,
  label         TEXT    NOT NULL,
  simulated     INTEGER NOT NULL CHECK (simulated IN (0, 1)),
  capabilities  TEXT    NOT NULL,            -- JSON MeterCapabilities
  settings      TEXT    NOT NULL DEFAULT '{}', -- JSON driver options used
  created_at    TEXT    NOT NULL
);

CREATE TABLE sessions (
  id              INTEGER PRIMARY KEY,
  name            TEXT    NOT NULL,
  kind            TEXT    NOT NULL CHECK (kind IN ('power', 'profile')),
  status          TEXT    NOT NULL CHECK (status IN ('recording', 'complete', 'interrupted')),
  started_at      TEXT    NOT NULL,
  ended_at        TEXT,
  start_mono_ns   INTEGER NOT NULL,           -- host monotonic clock at t = 0 of this session
  duration_s      REAL,
  meter_id        INTEGER REFERENCES meters (id),
  simulated       INTEGER NOT NULL DEFAULT 0 CHECK (simulated IN (0, 1)),
  model           TEXT,
  backend         TEXT,
  notes           TEXT    NOT NULL DEFAULT '',
  channels        TEXT    NOT NULL DEFAULT '[]', -- JSON Channel[]
  sample_rate_hz  REAL,
  writer_pid      INTEGER,                     -- process recording it, to tell a crash from a live writer
  summary         TEXT                         -- JSON cache written when the session ends
);

CREATE TABLE sample_chunks (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  t0_ns         INTEGER NOT NULL,
  period_ns     REAL    NOT NULL,
  count         INTEGER NOT NULL CHECK (count > 0),
  channels      TEXT    NOT NULL,              -- comma list, order of the planes in data
  encoding      TEXT    NOT NULL DEFAULT 'f32le-planar',
  data          BLOB    NOT NULL,
  digital       BLOB,                          -- one byte per sample (digital inputs), if any
  device_time   REAL,                          -- device clock/counter of the first sample, if any
  current_min REAL, current_max REAL, current_mean REAL,
  voltage_min REAL, voltage_max REAL, voltage_mean REAL,
  power_min   REAL, power_max   REAL, power_mean   REAL,
  UNIQUE (session_id, seq)
);
CREATE INDEX sample_chunks_time ON sample_chunks (session_id, t0_ns);

CREATE TABLE gaps (
  id            INTEGER PRIMARY KEY,
  session_id    INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  start_ns      INTEGER NOT NULL,
  end_ns        INTEGER NOT NULL,
  lost_samples  INTEGER NOT NULL DEFAULT 0,
  reason        TEXT    NOT NULL
);
CREATE INDEX gaps_session ON gaps (session_id, start_ns);

CREATE TABLE markers (
  id          INTEGER PRIMARY KEY,
  session_id  INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  t_ns        INTEGER NOT NULL,
  end_ns      INTEGER,
  kind        TEXT    NOT NULL,               -- e.g. 'note', 'phase', 'alignment', 'digital'
  label       TEXT    NOT NULL DEFAULT '',
  data        TEXT                            -- JSON
);
CREATE INDEX markers_session ON markers (session_id, t_ns);

CREATE TABLE inferences (
  id                   INTEGER PRIMARY KEY,
  session_id           INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  seq                  INTEGER NOT NULL,
  start_ns             INTEGER NOT NULL,
  end_ns               INTEGER NOT NULL,
  mode                 TEXT    NOT NULL CHECK (mode IN ('static', 'iadi', 'radi', 'ddi')),
  budget_value         REAL,
  budget_unit          TEXT,
  exit_index           INTEGER,
  macs                 REAL    NOT NULL,
  predicted_latency_s  REAL,
  predicted_energy_j   REAL,
  label                INTEGER,
  prediction           INTEGER,
  measured_energy_j    REAL,
  active_energy_j      REAL,
  record               TEXT    NOT NULL,     -- JSON per-inference record from the engine
  UNIQUE (session_id, seq)
);

CREATE TABLE budgets (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  metric      TEXT NOT NULL CHECK (metric IN ('energy_per_inference', 'latency_per_inference', 'macs_per_inference', 'energy_per_run')),
  value       REAL NOT NULL CHECK (value > 0),
  unit        TEXT NOT NULL,                 -- SI: J, s, MAC
  model       TEXT,                          -- null: applies to any model
  notes       TEXT NOT NULL DEFAULT '',
  created_at  TEXT NOT NULL
);
`;
