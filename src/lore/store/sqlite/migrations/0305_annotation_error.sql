-- Why a step was annotated by the rules instead of the session's model (the model failed): the
-- append went on, and observers and callers can see that it did.
ALTER TABLE steps ADD COLUMN annotation_error TEXT;
