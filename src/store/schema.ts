/**
 * The results database schema as numbered migrations. Never edit a migration that has shipped: append a new one.
 * migrations[i] takes the schema from version i to i + 1 (PRAGMA user_version).
 *
 * Long format (one row per sample and metric) so new metrics need no schema change.
 */

/** PRAGMA application_id marking a file as cnibench's: 'cnb1' in ASCII. */
export const APPLICATION_ID = 0x636e6231

export const migrations: readonly string[] = [
  `
  CREATE TABLE runs (
    id               TEXT PRIMARY KEY,
    created_at       TEXT NOT NULL,
    finished_at      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('running', 'complete', 'interrupted', 'failed')),
    kind             TEXT NOT NULL,            -- lab | k8s
    label            TEXT,
    cnibench_version TEXT NOT NULL,
    config_json      TEXT NOT NULL,            -- the matrix as run (tests, sizes, durations, seed, ...)
    environment_json TEXT NOT NULL,            -- fingerprint: kernel, CPU, virtualisation, tool versions, ...
    kernel           TEXT,
    cpu_model        TEXT,
    cpu_count        INTEGER,
    virtualization   TEXT,
    owner_pid        INTEGER,                  -- the cnibench process running it; gone + 'running' = interrupted
    owner_start      TEXT,
    notes_json       TEXT NOT NULL DEFAULT '{}'
  );

  CREATE TABLE cells (
    id             INTEGER PRIMARY KEY,
    run_id         TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key            TEXT NOT NULL,              -- datapath/test/size/parallel/placement
    datapath       TEXT NOT NULL,
    test           TEXT NOT NULL,
    size           INTEGER NOT NULL,
    parallel       INTEGER NOT NULL,
    placement      TEXT NOT NULL,
    engine         TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    context_json   TEXT NOT NULL,              -- datapath facts, MTUs, CPU pinning
    UNIQUE (run_id, key)
  );

  CREATE TABLE samples (
    id         INTEGER PRIMARY KEY,
    cell_id    INTEGER NOT NULL REFERENCES cells(id) ON DELETE CASCADE,
    iteration  INTEGER NOT NULL,
    started_at TEXT NOT NULL,
    elapsed_s  REAL NOT NULL,
    histogram  TEXT,                           -- latency histogram, log buckets (analysis/histogram.ts)
    error      TEXT,                           -- set when the sample failed; its metrics are then absent
    UNIQUE (cell_id, iteration)
  );

  CREATE TABLE sample_metrics (
    sample_id INTEGER NOT NULL REFERENCES samples(id) ON DELETE CASCADE,
    metric    TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (sample_id, metric)
  );

  CREATE TABLE raw_outputs (
    sample_id INTEGER PRIMARY KEY REFERENCES samples(id) ON DELETE CASCADE,
    argv_json TEXT NOT NULL,
    stdout    TEXT NOT NULL,
    stderr    TEXT NOT NULL,
    exit_code INTEGER NOT NULL
  );

  CREATE INDEX samples_by_cell ON samples (cell_id);
  CREATE INDEX cells_by_run ON cells (run_id);
  `,
  `
  -- Lab variants (NIC offload profile, routed underlay): {} is the default lab, so older cells keep their meaning.
  ALTER TABLE cells ADD COLUMN variant_json TEXT NOT NULL DEFAULT '{}';

  -- What else happened while a sample was taken: the reference probe beside it, CPU used by processes that were not
  -- the sample's, concurrent cnibench activity. The statistics decide from these which samples a dip hit.
  ALTER TABLE samples ADD COLUMN conditions_json TEXT NOT NULL DEFAULT '{}';

  -- Each lab a run measured on, as it was built: MTUs, implementation, the NIC offloads read back from every node's
  -- underlay device. Written when the lab is built (again on resume, which rebuilds it).
  CREATE TABLE testbeds (
    run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    key          TEXT NOT NULL,              -- datapath[variant], as in cells.key
    datapath     TEXT NOT NULL,
    variant_json TEXT NOT NULL,
    built_at     TEXT NOT NULL,
    facts_json   TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
  );
  `,
]
