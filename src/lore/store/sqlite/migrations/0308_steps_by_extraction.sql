-- The steps an extraction run took: read when it runs, handed back when it fails.
CREATE INDEX steps_by_extraction ON steps(extraction_id);
