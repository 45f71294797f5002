-- The knowledge search returns each hit's whole body: the passage read to
-- a caller is cut in Go at sentence boundaries (ts_headline cut sentences
-- mid-way and dropped their first words).
DROP FUNCTION kb_search(text, integer);
CREATE FUNCTION kb_search(p_query text, p_limit integer)
RETURNS TABLE (id uuid, title text, body text, rank real)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH q AS (
        SELECT to_tsquery('simple', coalesce(
                   (SELECT string_agg(quote_literal(l), ' | ')
                    FROM unnest(tsvector_to_array(to_tsvector('english', p_query))) AS l), '')) AS q
    )
    SELECT a.id, a.title, a.body, ts_rank(a.search, q.q)
    FROM kb_articles a, q
    WHERE a.org_id = nullif(current_setting('app.org_id', true), '')::uuid
      AND a.active AND a.search @@ q.q
    ORDER BY ts_rank(a.search, q.q) DESC, a.id
    LIMIT least(p_limit, 10)
$$;
REVOKE ALL ON FUNCTION kb_search(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kb_search(text, integer) TO frontdesk_app;
