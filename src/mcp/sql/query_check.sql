-- `query`: the statement the assistant sent, parsed by DuckDB and written back as SQL, only if
-- it is exactly one SELECT (json_serialize_sql refuses every other statement type and reports
-- a parse error as such). Parameter: $1 the SQL. Returns the serialized form (its `error` and
-- `statements`) and, when it is one SELECT, the canonical SQL.
SELECT
    json_serialize_sql($1::VARCHAR)::VARCHAR AS parsed,
    CASE
        WHEN NOT coalesce(json_serialize_sql($1::VARCHAR)->>'error' = 'true', false)
         AND json_array_length(json_serialize_sql($1::VARCHAR)->'statements') = 1
        THEN json_deserialize_sql(json_serialize_sql($1::VARCHAR))
    END AS canonical
