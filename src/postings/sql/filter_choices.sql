-- The choices of the dashboard's filter form: searches and client countries that occur.
SELECT 'search' AS kind, search AS value FROM search_state
UNION
SELECT 'country', client_country FROM jobs WHERE client_country IS NOT NULL
ORDER BY kind, value
