-- The voice agent's tool calls, and the clinic's knowledge base.
CREATE EXTENSION IF NOT EXISTS btree_gin; -- GIN over (org_id, search)

-- Every tool call, on its call: what was asked, what was answered, how
-- fast. tool_call_id is unique per clinic: a redelivered tool call gets
-- the recorded answer and does nothing again.
CREATE TABLE call_tool_calls (
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    call_id      uuid NOT NULL,
    tool_call_id text NOT NULL,
    name         text NOT NULL,
    arguments    jsonb NOT NULL,
    result       text NOT NULL DEFAULT '',
    error        text NOT NULL DEFAULT '',
    latency_ms   integer NOT NULL CHECK (latency_ms >= 0),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, tool_call_id),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id) ON DELETE CASCADE
);
CREATE INDEX call_tool_calls_call_idx ON call_tool_calls (org_id, call_id, created_at);
ALTER TABLE call_tool_calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE call_tool_calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON call_tool_calls
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

CREATE TABLE kb_articles (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    title      text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    body       text NOT NULL CHECK (length(body) <= 20000),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Title words weigh more than body words.
    search     tsvector GENERATED ALWAYS AS (
                   setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body), 'B')) STORED,
    PRIMARY KEY (org_id, id)
);
CREATE INDEX kb_articles_search_idx ON kb_articles USING gin (org_id, search) WHERE active;
CREATE INDEX kb_articles_list_idx ON kb_articles (org_id, title);
ALTER TABLE kb_articles ENABLE ROW LEVEL SECURITY;
ALTER TABLE kb_articles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON kb_articles
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

-- Full-text search of the acting clinic's articles. A caller's question
-- matches on any of its words (spoken questions carry words no article
-- has), ranked by how many and where. The match operator (@@) is not
-- leakproof, so under RLS it could not use the GIN index and every search
-- would scan the clinic's articles; this definer function applies the same
-- tenant condition as the policy (app.org_id, never a parameter), so the
-- index is used and no other clinic's row can match.
CREATE FUNCTION kb_search(p_query text, p_limit integer)
RETURNS TABLE (id uuid, title text, passage text, rank real)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    WITH q AS (
        SELECT to_tsquery('simple', coalesce(
                   (SELECT string_agg(quote_literal(l), ' | ')
                    FROM unnest(tsvector_to_array(to_tsvector('english', p_query))) AS l), '')) AS q
    )
    SELECT a.id, a.title,
           ts_headline('english', a.body, q.q, 'MaxFragments=1, MaxWords=35, MinWords=12, StartSel="", StopSel=""'),
           ts_rank(a.search, q.q)
    FROM kb_articles a, q
    WHERE a.org_id = nullif(current_setting('app.org_id', true), '')::uuid
      AND a.active AND a.search @@ q.q
    ORDER BY ts_rank(a.search, q.q) DESC, a.id
    LIMIT least(p_limit, 10)
$$;
REVOKE ALL ON FUNCTION kb_search(text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kb_search(text, integer) TO frontdesk_app;

GRANT SELECT, INSERT ON call_tool_calls TO frontdesk_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON kb_articles TO frontdesk_app;
