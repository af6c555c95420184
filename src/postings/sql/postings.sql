-- The dashboard's postings list: one page of the postings that pass every filter set, with the
-- total. The scores are those the last sync wrote into `posting_scores` (computing both views
-- over every posting took most of a page's time at 100k). Parameters, each NULL when its filter
-- is not set:
--  $1 search, $2 label (NULL: all but ignored; 'any'; 'none'; or a label), $3 text to match
--  with ILIKE in titles and descriptions,
--  $4 job type, $5/$6 hourly rate min/max, $7/$8 fixed budget min/max, $9 skill,
--  $10 experience, $11 payment verified, $12 client hire rate at least (0-1),
--  $13 client spend at least, $14 client country, $15 proposals at most, $16 fit score at least,
--  $17 published since (UTC timestamp text), $18 sort (date, fit, budget, client),
--  $19 page size, $20 offset, $21 the text's tokens, space-separated (db/words.rs): only the
--  postings with a word containing each (from the text index).
WITH text_tokens AS (
    SELECT DISTINCT unnest(string_split($21::VARCHAR, ' ')) AS token
    WHERE $21::VARCHAR IS NOT NULL
),
text_words_matching AS (
    SELECT DISTINCT t.token, w.word_id
    FROM text_tokens t
    JOIN text_words w ON contains(w.word, t.token)
),
text_candidates AS (
    -- The postings with a word containing each token (db/words.rs says why that is a
    -- superset of the ILIKE's matches, and when it is exactly them).
    SELECT substr(CAST(p.job_key AS VARCHAR), 2) AS job_id
    FROM text_postings p
    JOIN text_words_matching m USING (word_id)
    GROUP BY p.job_key
    HAVING count(DISTINCT m.token) = (SELECT count(*) FROM text_tokens)
),
text_rows AS (
    -- Several words (`data entry`): the candidates' rows, so that the ILIKE below reads the
    -- title and description of those rows alone. DuckDB fetches rows by `rowid` without
    -- scanning the column; joined by `id`, it read every posting's text (at 100k, 90 ms
    -- against 18 ms for this).
    SELECT rowid AS rid
    FROM jobs
    WHERE $21::VARCHAR IS NOT NULL AND $3::VARCHAR IS NOT NULL
      AND id IN (SELECT job_id FROM text_candidates)
),
text_checked AS (
    SELECT id
    FROM jobs
    WHERE rowid IN (SELECT rid FROM text_rows)
      AND (title ILIKE '%' || $3::VARCHAR || '%' OR description ILIKE '%' || $3::VARCHAR || '%')
),
last_sync AS (
    SELECT coalesce(max(started_at), make_timestamp(0::BIGINT)::TIMESTAMPTZ) AS started
    FROM sync_runs
    WHERE status <> 'crashed'
),
matching AS (
    -- Narrow rows: only what the filters and the sort need, so counting and sorting every
    -- match stays cheap; the page's 50 rows get their other columns below.
    SELECT
        j.id,
        j.published_at,
        s.fit_score,
        s.client_quality AS quality_score,
        -- The sort's keys: the chosen one first (NULL for the others), then the newest.
        CASE WHEN $18::VARCHAR = 'fit' THEN s.fit_score END AS fit_key,
        CASE WHEN $18::VARCHAR = 'budget'
             THEN coalesce(j.fixed_budget::DOUBLE, 40 * j.hourly_max::DOUBLE) END AS budget_key,
        CASE WHEN $18::VARCHAR = 'client' THEN s.client_quality END AS client_key
    FROM jobs j
    LEFT JOIN posting_scores s ON s.job_id = j.id
    LEFT JOIN labels l ON l.job_id = j.id
    WHERE ($1::VARCHAR IS NULL
           OR EXISTS (SELECT 1 FROM search_hits h WHERE h.job_id = j.id AND h.search = $1::VARCHAR))
      AND CASE
              WHEN $2::VARCHAR IS NULL THEN l.label IS DISTINCT FROM 'ignored'
              WHEN $2::VARCHAR = 'any' THEN true
              WHEN $2::VARCHAR = 'none' THEN l.label IS NULL
              ELSE l.label = $2::VARCHAR
          END
      -- No token to look up: the ILIKE over every posting (or no text filter); one token that
      -- is the whole text: the index alone; several: the ILIKE on the candidates' rows.
      AND CASE
              WHEN $21::VARCHAR IS NULL
                  THEN $3::VARCHAR IS NULL
                       OR j.title ILIKE '%' || $3::VARCHAR || '%'
                       OR j.description ILIKE '%' || $3::VARCHAR || '%'
              WHEN $3::VARCHAR IS NULL THEN j.id IN (SELECT job_id FROM text_candidates)
              ELSE j.id IN (SELECT id FROM text_checked)
          END
      AND ($4::VARCHAR IS NULL OR j.job_type = $4::VARCHAR)
      AND ($5::DOUBLE IS NULL OR j.hourly_max >= $5::DOUBLE)
      AND ($6::DOUBLE IS NULL OR j.hourly_min <= $6::DOUBLE)
      AND ($7::DOUBLE IS NULL OR j.fixed_budget >= $7::DOUBLE)
      AND ($8::DOUBLE IS NULL OR j.fixed_budget <= $8::DOUBLE)
      AND ($9::VARCHAR IS NULL OR EXISTS (
              SELECT 1 FROM job_skills k
              WHERE k.job_id = j.id
                AND (lower(k.skill) = lower($9::VARCHAR) OR lower(k.pretty_name) = lower($9::VARCHAR))))
      AND ($10::VARCHAR IS NULL OR j.experience_level = $10::VARCHAR)
      AND ($11::BOOLEAN IS NULL OR j.client_payment_verified = $11::BOOLEAN)
      AND ($12::DOUBLE IS NULL OR j.client_hire_rate >= $12::DOUBLE)
      AND ($13::DOUBLE IS NULL OR j.client_total_spent >= $13::DOUBLE)
      AND ($14::VARCHAR IS NULL OR lower(j.client_country) = lower($14::VARCHAR))
      AND ($15::BIGINT IS NULL OR j.total_applicants <= $15::BIGINT)
      AND ($16::DOUBLE IS NULL OR s.fit_score >= $16::DOUBLE)
      AND ($17::VARCHAR IS NULL OR j.published_at::TIMESTAMP >= $17::VARCHAR::TIMESTAMP)
),
page AS (
    -- The page by a top-N (ORDER BY ... LIMIT), not by numbering every match: at 100k postings
    -- that window sorted them all and took most of a cold list's time (profiled in issue 24:
    -- 167 ms against 50 ms, the same rows). The 50 rows found are numbered by the same order.
    SELECT
        *,
        $20::BIGINT + row_number() OVER (
            ORDER BY fit_key DESC NULLS LAST, budget_key DESC NULLS LAST,
                     client_key DESC NULLS LAST, published_at DESC, id DESC
        ) AS position
    FROM (
        SELECT *
        FROM matching
        ORDER BY fit_key DESC NULLS LAST, budget_key DESC NULLS LAST,
                 client_key DESC NULLS LAST, published_at DESC, id DESC
        LIMIT $19::BIGINT OFFSET $20::BIGINT
    )
)
SELECT
    j.id,
    j.title,
    j.job_type,
    j.currency,
    j.fixed_budget::DOUBLE,
    j.hourly_min::DOUBLE,
    j.hourly_max::DOUBLE,
    j.experience_level,
    j.total_applicants,
    j.client_country,
    j.client_payment_verified,
    j.client_hire_rate,
    j.client_total_spent::DOUBLE,
    strftime(j.published_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'),
    p.fit_score,
    p.quality_score,
    -- The summary's columns end here (data::Summary, in the same order as posting.sql's).
    to_json(coalesce(j.skills, []::VARCHAR[]))::VARCHAR,
    l.label,
    l.note,
    j.first_seen_at >= (SELECT started FROM last_sync) AS is_new,
    (SELECT count(*) FROM matching) AS total,
    j.url,
    -- The latest competition signals (activity::COLUMNS), NULL without a snapshot.
    a.fetched_at,
    a.status,
    a.interviewing,
    a.invites_sent,
    a.hired,
    a.unanswered_invites,
    a.offered,
    a.last_client_activity,
    a.bid_avg::DOUBLE
FROM page p
JOIN jobs j ON j.id = p.id
LEFT JOIN labels l ON l.job_id = j.id
LEFT JOIN (
    SELECT * FROM job_activity
    WHERE job_id IN (SELECT id FROM page)
    QUALIFY row_number() OVER (PARTITION BY job_id ORDER BY fetched_at DESC) = 1
) a ON a.job_id = j.id
ORDER BY p.position
