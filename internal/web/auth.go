package web

import (
	"context"
	"encoding/json"
	"errors"
	"mime"
	"net"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
)

type principalKey struct{}

func principal(ctx context.Context) identity.Principal {
	p, _ := ctx.Value(principalKey{}).(identity.Principal)
	return p
}

// authed requires a valid bearer token. The verified user becomes the
// acting user of every tenant transaction in the request.
func (s *Server) authed(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || raw == "" {
			return frontdesk.ErrUnauthorized
		}
		p, err := s.verifier.Verify(strings.TrimSpace(raw))
		if err != nil {
			return err
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		ctx = postgres.WithActingUser(ctx, p.UserID)
		return h(w, r.WithContext(ctx))
	}
}

// memberHandler is a handler that acts for one clinic.
type memberHandler func(w http.ResponseWriter, r *http.Request, org frontdesk.OrgID) error

// member requires a valid token and picks the acting clinic: the X-Org-Id
// header, else the token's app_metadata.org_id, else the user's only
// membership. Membership itself is checked by InTenant, in the database,
// for every transaction the handler runs.
func (s *Server) member(h memberHandler) handlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request) error {
		org, err := s.actingOrg(r)
		if err != nil {
			return err
		}
		if ri := info(r.Context()); ri != nil {
			ri.org = org.String()
		}
		return h(w, r, org)
	})
}

func (s *Server) actingOrg(r *http.Request) (frontdesk.OrgID, error) {
	if v := r.Header.Get("X-Org-Id"); v != "" {
		org, err := frontdesk.ParseOrgID(v)
		if err != nil {
			return org, badRequest("X-Org-Id", "X-Org-Id must be an organization id (a UUID)")
		}
		return org, nil
	}
	p := principal(r.Context())
	if !p.DefaultOrg.IsZero() {
		return p.DefaultOrg, nil
	}
	ms, err := s.store.UserMemberships(r.Context(), p.UserID)
	if err != nil {
		return frontdesk.OrgID{}, err
	}
	switch len(ms) {
	case 0:
		return frontdesk.OrgID{}, frontdesk.ErrForbidden
	case 1:
		return ms[0].OrgID, nil
	}
	return frontdesk.OrgID{}, badRequest("X-Org-Id", "you belong to several organizations: name one with the X-Org-Id header (see GET /api/me)")
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// login exchanges an email and password for a token. Unknown email and
// wrong password answer the same, in the same time; failures are limited
// per email and per client address.
func (s *Server) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(req.Email))
	if email == "" {
		return frontdesk.Invalid("email", "is required")
	}
	if req.Password == "" {
		return frontdesk.Invalid("password", "is required")
	}
	ip := clientIP(r)
	for _, lim := range []struct {
		l   *identity.FailureLimiter
		key string
	}{{s.loginByEmail, email}, {s.loginByIP, ip}} {
		if blocked, wait := lim.l.Blocked(lim.key); blocked {
			w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
			return &httpError{status: http.StatusTooManyRequests, detail: errorDetail{Code: "rate_limited", Message: "too many failed logins; try again later"}}
		}
	}
	user, hash, err := s.store.LoginLookup(r.Context(), email)
	if err != nil && !errors.Is(err, frontdesk.ErrNotFound) {
		return err
	}
	if !identity.CheckPassword(hash, req.Password) || err != nil {
		s.loginByEmail.Fail(email)
		s.loginByIP.Fail(ip)
		return &httpError{status: http.StatusUnauthorized, detail: errorDetail{Code: "invalid_credentials", Message: "invalid email or password"}}
	}
	token, err := s.issuer.Issue(user, frontdesk.OrgID{}, s.tokenTTL)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token": token, "token_type": "Bearer", "expires_in": int(s.tokenTTL.Seconds()), "user_id": user,
	})
	return nil
}

type meResponse struct {
	User        meUser         `json:"user"`
	Memberships []meMembership `json:"memberships"`
}

type meUser struct {
	ID    frontdesk.UserID `json:"id"`
	Email string           `json:"email"`
	Name  string           `json:"name"`
}

type meMembership struct {
	OrgID   frontdesk.OrgID `json:"org_id"`
	OrgName string          `json:"org_name"`
	Role    frontdesk.Role  `json:"role"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	p := principal(r.Context())
	email, name, err := s.store.UserProfile(r.Context(), p.UserID)
	if errors.Is(err, frontdesk.ErrNotFound) {
		// A validly signed token for a user that does not exist (any more).
		return frontdesk.ErrUnauthorized
	}
	if err != nil {
		return err
	}
	ms, err := s.store.UserMemberships(r.Context(), p.UserID)
	if err != nil {
		return err
	}
	resp := meResponse{User: meUser{ID: p.UserID, Email: email, Name: name}, Memberships: []meMembership{}}
	for _, m := range ms {
		resp.Memberships = append(resp.Memberships, meMembership{OrgID: m.OrgID, OrgName: m.OrgName, Role: m.Role})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// decodeJSON reads a small JSON body into v, refusing other content types,
// unknown fields and trailing data.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return &httpError{status: http.StatusUnsupportedMediaType, detail: errorDetail{Code: "unsupported_media_type", Message: "send Content-Type: application/json"}}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return &httpError{status: http.StatusRequestEntityTooLarge, detail: errorDetail{Code: "too_large", Message: "request body too large"}}
		}
		return badRequest("", "malformed JSON body: "+err.Error())
	}
	if dec.More() {
		return badRequest("", "malformed JSON body: more than one value")
	}
	return nil
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
