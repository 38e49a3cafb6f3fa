-- A code upload is written in short transactions while its batch is "importing": its codes are
-- stored but not seen (nothing reads codes of an importing or failed batch) until the batch turns
-- "ready" in one small transaction. The importer marks each step; a batch whose mark is old has
-- lost its importer.
ALTER TABLE code_batches ADD COLUMN heartbeat_at BIGINT;
-- The batches whose codes are not seen: few at any time, read by every code lookup.
CREATE INDEX code_batches_unseen ON code_batches (id) WHERE status IN ('importing', 'failed');
