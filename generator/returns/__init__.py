"""Reading completed forms (returns) back into answers: one reader per format, plus the
answer normaliser that turns what people type into a level of the instrument's scale."""
