-- Batches say who made them (an API key has no account row), how the import went, and keep
-- the problems of a refused upload for its report: the codes of a refused file are never stored.
ALTER TABLE code_batches ADD COLUMN created_by_label TEXT;
ALTER TABLE code_batches ADD COLUMN finished_at INTEGER;
ALTER TABLE code_batches ADD COLUMN byte_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE code_batches ADD COLUMN problem_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE code_batches ADD COLUMN problem_summary TEXT;
ALTER TABLE code_batches ADD COLUMN message TEXT;

CREATE TABLE code_import_problems (
    batch_id INTEGER NOT NULL REFERENCES code_batches (id),
    line     INTEGER NOT NULL,
    reason   TEXT NOT NULL,
    value    TEXT NOT NULL,
    PRIMARY KEY (batch_id, line)
);
