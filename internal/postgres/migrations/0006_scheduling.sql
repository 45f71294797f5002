-- Scheduling: what a clinic offers, when, and the bookings and holds that
-- take its time. Double-booking is impossible by construction: an
-- exclusion constraint over each resource's blocked ranges (appointment
-- plus buffers).
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- Booking window and hold length, per clinic.
ALTER TABLE organizations
    ADD COLUMN min_notice_minutes integer NOT NULL DEFAULT 60 CHECK (min_notice_minutes BETWEEN 0 AND 43200),
    ADD COLUMN max_days_ahead     integer NOT NULL DEFAULT 60 CHECK (max_days_ahead BETWEEN 1 AND 730),
    ADD COLUMN hold_minutes       integer NOT NULL DEFAULT 5 CHECK (hold_minutes BETWEEN 1 AND 60);

CREATE TABLE services (
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    name                  text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    duration_minutes      integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 480),
    buffer_before_minutes integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 240),
    buffer_after_minutes  integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 240),
    active                boolean NOT NULL DEFAULT true,
    created_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

-- A clinician or a room: what gets booked.
CREATE TABLE resources (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    name       text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
    kind       text NOT NULL DEFAULT 'clinician' CHECK (kind IN ('clinician', 'room')),
    active     boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, name)
);

CREATE TABLE resource_services (
    org_id      uuid NOT NULL,
    resource_id uuid NOT NULL,
    service_id  uuid NOT NULL,
    PRIMARY KEY (org_id, resource_id, service_id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE,
    FOREIGN KEY (org_id, service_id) REFERENCES services (org_id, id) ON DELETE CASCADE
);

-- Weekly hours in the clinic's local time: the clinic's (resource_id NULL)
-- or a resource's own, which replace the clinic's for that resource.
-- Several ranges a day make breaks.
CREATE TABLE opening_hours (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    resource_id uuid,
    weekday     smallint NOT NULL CHECK (weekday BETWEEN 0 AND 6), -- 0 = Sunday
    opens       time NOT NULL,
    closes      time NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE,
    CHECK (opens < closes)
);
CREATE INDEX opening_hours_org_idx ON opening_hours (org_id, resource_id, weekday);

-- Closed days (holidays), the clinic's (resource_id NULL) or a resource's.
CREATE TABLE closures (
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    resource_id uuid,
    first_day   date NOT NULL,
    last_day    date NOT NULL,
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id) ON DELETE CASCADE,
    CHECK (first_day <= last_day)
);
CREATE INDEX closures_org_idx ON closures (org_id, last_day);

-- Bookings and holds share one table so that one exclusion constraint
-- covers both. A hold lapses at held_until by itself: availability ignores
-- lapsed holds, and a booking removes lapsed holds in its way in its own
-- transaction, so no sweeper is needed for correctness.
CREATE TABLE bookings (
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    resource_id   uuid NOT NULL,
    service_id    uuid NOT NULL,
    status        text NOT NULL CHECK (status IN ('held', 'confirmed', 'cancelled')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    -- The appointment with its buffers: what no other booking may overlap.
    blocked       tstzrange NOT NULL,
    held_until    timestamptz,
    patient_name  text NOT NULL DEFAULT '' CHECK (length(patient_name) <= 200),
    patient_phone text NOT NULL DEFAULT '',
    source        text NOT NULL DEFAULT 'staff' CHECK (source IN ('staff', 'agent')),
    call_id       uuid,
    tool_call_id  text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, id),
    UNIQUE (org_id, tool_call_id),
    FOREIGN KEY (org_id, resource_id) REFERENCES resources (org_id, id),
    FOREIGN KEY (org_id, service_id) REFERENCES services (org_id, id),
    FOREIGN KEY (org_id, call_id) REFERENCES call_logs (org_id, id),
    CHECK (starts_at < ends_at),
    CHECK ((status = 'held') = (held_until IS NOT NULL)),
    EXCLUDE USING gist (org_id WITH =, resource_id WITH =, blocked WITH &&) WHERE (status <> 'cancelled')
);
CREATE INDEX bookings_org_starts_idx ON bookings (org_id, starts_at);

ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON services
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
ALTER TABLE resources ENABLE ROW LEVEL SECURITY;
ALTER TABLE resources FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resources
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
ALTER TABLE resource_services ENABLE ROW LEVEL SECURITY;
ALTER TABLE resource_services FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON resource_services
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
ALTER TABLE opening_hours ENABLE ROW LEVEL SECURITY;
ALTER TABLE opening_hours FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON opening_hours
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
ALTER TABLE closures ENABLE ROW LEVEL SECURITY;
ALTER TABLE closures FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON closures
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);
ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bookings
    USING (org_id = nullif(current_setting('app.org_id', true), '')::uuid)
    WITH CHECK (org_id = nullif(current_setting('app.org_id', true), '')::uuid);

GRANT SELECT, INSERT, UPDATE, DELETE ON services, resources, bookings TO frontdesk_app;
GRANT SELECT, INSERT, DELETE ON resource_services, opening_hours, closures TO frontdesk_app;
GRANT UPDATE (timezone, min_notice_minutes, max_days_ahead, hold_minutes) ON organizations TO frontdesk_app;
