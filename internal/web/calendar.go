package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/oauth2"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/scheduling"
)

// Google Calendar: admins connect a clinician's or room's calendar; its
// busy times count in availability, and bookings appear in it.

// oauthState is what the signed state carries through Google and back.
type oauthState struct {
	Pending uuid.UUID        `json:"p"`
	Org     frontdesk.OrgID  `json:"o"`
	User    frontdesk.UserID `json:"u"`
	Expires int64            `json:"e"`
}

const oauthWindow = 10 * time.Minute

// startCalendarOAuth begins connecting resource's calendar: the PKCE
// verifier stays in the database, and the browser goes to Google with a
// signed state bound to the clinic, the user and a short expiry.
func (s *Server) startCalendarOAuth(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	if s.google == nil {
		return &httpError{status: http.StatusNotImplemented, detail: errorDetail{Code: "not_configured",
			Message: "Google Calendar is not configured on this server (FRONTDESK_GOOGLE_CLIENT_ID)"}}
	}
	res, err := optionalUUID(r, "resource_id")
	if err != nil {
		return err
	}
	if !res.Valid {
		return frontdesk.Invalid("resource_id", "is required: the clinician or room whose calendar this is")
	}
	verifier := oauth2.GenerateVerifier()
	user := principal(r.Context()).UserID
	var state string
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		if err := resourceExists(r.Context(), tx, res); err != nil {
			return err
		}
		id, err := tx.AddOAuthPending(r.Context(), db.AddOAuthPendingParams{OrgID: org, UserID: user, ResourceID: res.UUID,
			Verifier: s.secrets.Seal([]byte(verifier), org[:]), ExpiresAt: time.Now().Add(oauthWindow)})
		if err != nil {
			return err
		}
		b, _ := json.Marshal(oauthState{Pending: id, Org: org, User: user, Expires: time.Now().Add(oauthWindow).Unix()})
		state = s.secrets.Sign(b)
		return nil
	})
	if err != nil {
		return err
	}
	url := s.google.AuthURL(state, verifier)
	w.Header().Set("Location", url)
	writeJSON(w, http.StatusFound, map[string]string{"authorize_url": url})
	return nil
}

// calendarOAuthCallback finishes the flow Google redirects back to. The
// state decides everything: it must be ours (signed), fresh, and name a
// pending flow of that clinic and user, used once.
func (s *Server) calendarOAuthCallback(w http.ResponseWriter, r *http.Request) error {
	if s.google == nil {
		return &httpError{status: http.StatusNotImplemented, detail: errorDetail{Code: "not_configured", Message: "Google Calendar is not configured"}}
	}
	q := r.URL.Query()
	raw, err := s.secrets.Verify(q.Get("state"))
	var st oauthState
	if err != nil || json.Unmarshal(raw, &st) != nil || time.Now().Unix() > st.Expires || st.Org.IsZero() {
		return badRequest("state", "the sign-in link is invalid or expired; start again")
	}
	if e := q.Get("error"); e != "" {
		return badRequest("error", "Google did not grant access: "+e)
	}
	if q.Get("code") == "" {
		return badRequest("code", "missing code")
	}
	ctx := postgres.WithActingUser(r.Context(), st.User) // the user must still be a member
	err = s.store.InTenant(ctx, st.Org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		p, err := tx.TakeOAuthPending(ctx, db.TakeOAuthPendingParams{OrgID: st.Org, ID: st.Pending, UserID: st.User})
		if errors.Is(err, pgx.ErrNoRows) {
			return badRequest("state", "the sign-in link was used already or has expired; start again")
		}
		if err != nil {
			return err
		}
		verifier, err := s.secrets.Open(p.Verifier, st.Org[:])
		if err != nil {
			return err
		}
		token, err := s.google.Exchange(ctx, q.Get("code"), string(verifier))
		if err != nil {
			s.log.WarnContext(ctx, "google code exchange failed", "err", err)
			return badRequest("code", "Google refused the sign-in; start again")
		}
		if err := tx.SaveCalendarConnection(ctx, db.SaveCalendarConnectionParams{OrgID: st.Org, ResourceID: p.ResourceID,
			Token: s.secrets.Seal(token, st.Org[:]), ConnectedBy: uuid.NullUUID{UUID: uuid.UUID(st.User), Valid: true}}); err != nil {
			return err
		}
		s.busyCache.forget(st.Org)
		return s.jobs.ReconnectSync(ctx, tx, p.ResourceID)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "connected"})
	return nil
}

type calendarConnection struct {
	ID           uuid.UUID `json:"id"`
	ResourceID   uuid.UUID `json:"resource_id"`
	ResourceName string    `json:"resource_name"`
	CalendarID   string    `json:"calendar_id"`
	Status       string    `json:"status"` // active or needs_reconnect
	Reason       string    `json:"reason,omitempty"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func (s *Server) listCalendarConnections(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	out := []calendarConnection{}
	err := s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) error {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		rows, err := tx.ListCalendarConnections(r.Context(), org)
		for _, c := range rows {
			out = append(out, calendarConnection{c.ID, c.ResourceID, c.ResourceName, c.CalendarID, c.Status, c.StatusReason,
				c.UpdatedAt.In(tx.Org.Location)})
		}
		return err
	})
	return s.reply(w, err, http.StatusOK, map[string]any{"connections": out})
}

// deleteCalendarConnection disconnects a calendar and revokes the grant at
// Google (best effort: the stored token is gone either way).
func (s *Server) deleteCalendarConnection(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error {
	id, err := pathUUID(r, "id")
	if err != nil {
		return err
	}
	var sealed []byte
	err = s.store.InTenant(r.Context(), org, func(tx *postgres.Tx) (err error) {
		if err := requireRole(tx, frontdesk.RoleAdmin); err != nil {
			return err
		}
		sealed, err = tx.DeleteCalendarConnection(r.Context(), db.DeleteCalendarConnectionParams{OrgID: org, ID: id})
		return err
	})
	if err != nil {
		return err
	}
	s.busyCache.forget(org)
	if token, err := s.secrets.Open(sealed, org[:]); err == nil && s.google != nil {
		if err := s.google.Revoke(r.Context(), token); err != nil {
			s.log.WarnContext(r.Context(), "google revoke failed", "err", err)
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// busyTimeout bounds how long availability waits for Google: a slow
// calendar is reported unchecked rather than holding up the caller.
const busyTimeout = 1500 * time.Millisecond

// busyCacheTTL is how long a calendar's busy times are reused.
const busyCacheTTL = time.Minute

type busyEntry struct {
	at   time.Time
	busy []scheduling.Interval
}

// busyCache keeps connected calendars' busy times briefly, per clinic.
type busyCache struct {
	mu sync.Mutex
	m  map[string]busyEntry
}

func (c *busyCache) get(key string) ([]scheduling.Interval, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || time.Since(e.at) > busyCacheTTL {
		return nil, false
	}
	return e.busy, true
}

func (c *busyCache) put(key string, busy []scheduling.Interval) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) > 10_000 {
		c.m = map[string]busyEntry{}
	}
	c.m[key] = busyEntry{at: time.Now(), busy: busy}
}

// forget drops a clinic's entries (their keys start with its id), after
// its calendars change.
func (c *busyCache) forget(org frontdesk.OrgID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.m {
		if strings.HasPrefix(k, org.String()) {
			delete(c.m, k)
		}
	}
}

// externalBusy reads the busy times of the clinic's connected calendars
// in [from, to), concurrently, within busyTimeout; calendars that could
// not be read are named in unchecked.
func (s *Server) externalBusy(ctx context.Context, tx *postgres.Tx, from, to time.Time) (map[uuid.UUID][]scheduling.Interval, []string, error) {
	if s.google == nil {
		return nil, nil, nil
	}
	conns, err := tx.ActiveCalendarConnections(ctx, tx.Org.ID)
	if err != nil || len(conns) == 0 {
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, busyTimeout)
	defer cancel()
	out := map[uuid.UUID][]scheduling.Interval{}
	var unchecked []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, c := range conns {
		key := tx.Org.ID.String() + c.ResourceID.String() + from.String() + to.String()
		if busy, ok := s.busyCache.get(key); ok {
			out[c.ResourceID] = busy
			continue
		}
		token, err := s.secrets.Open(c.Token, tx.Org.ID[:])
		if err != nil {
			unchecked = append(unchecked, c.ResourceID.String())
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			periods, err := s.google.Busy(ctx, token, c.CalendarID, from, to)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				unchecked = append(unchecked, c.ResourceID.String())
				return
			}
			var busy []scheduling.Interval
			for _, p := range periods {
				busy = append(busy, scheduling.Interval{Start: p[0], End: p[1]})
			}
			out[c.ResourceID] = busy
			s.busyCache.put(key, busy)
		}()
	}
	wg.Wait()
	return out, unchecked, nil
}
