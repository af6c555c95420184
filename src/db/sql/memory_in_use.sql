-- DuckDB's buffers by what holds them, in MiB in memory and spilled to the temp folder, largest
-- first, those of 1 MiB or more: for the warning of a step that ran out of memory. No parameters.
SELECT tag, memory_usage_bytes >> 20, temporary_storage_bytes >> 20
FROM duckdb_memory()
WHERE memory_usage_bytes + temporary_storage_bytes >= 1 << 20
ORDER BY memory_usage_bytes + temporary_storage_bytes DESC
