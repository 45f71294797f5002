package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"frontdesk"
	accesslog "frontdesk/internal/access"
	"frontdesk/internal/identity"
)

// member is who a request acts as: the verified user and, on routes of a
// clinic, the acting clinic and the user's role there.
type member = identity.Member

// handlerFunc is a handler that returns its error instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request, m member) error

var minRole = map[access]frontdesk.Role{staff: frontdesk.RoleStaff, admin: frontdesk.RoleAdmin, owner: frontdesk.RoleOwner}

// guard enforces a route's access before its handler runs (and so before
// any body is read): 401 without a valid token, 403 for a clinic the user
// is not a member of or a role below the route's. On a route with an id,
// a miss (the clinic has no such object, whoever has) is audited here, for
// every route at once.
func (s *Server) guard(rt route) handlerFunc {
	if rt.access == public {
		return rt.h
	}
	return func(w http.ResponseWriter, r *http.Request, _ member) error {
		p, err := s.bearer(r)
		if err != nil {
			return err
		}
		ctx := accesslog.By(identity.ActingAs(r.Context(), p.UserID), accesslog.API, s.clientIP(r), "")
		r = r.WithContext(ctx)
		m := member{User: p.UserID}
		if rt.access == signedIn {
			return rt.h(w, r, m)
		}
		if m, err = s.acting(r, p); err != nil {
			return err
		}
		if ri := info(ctx); ri != nil {
			ri.org = m.Org.String()
		}
		if !m.Role.AtLeast(minRole[rt.access]) {
			return frontdesk.ErrForbidden
		}
		err = rt.h(w, r, m)
		if errors.Is(err, frontdesk.ErrNotFound) && strings.Contains(rt.pattern, "{") {
			s.recordMiss(r, m, rt.pattern)
		}
		return err
	}
}

// bearer verifies the request's bearer token.
func (s *Server) bearer(r *http.Request) (identity.Principal, error) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		return identity.Principal{}, frontdesk.ErrUnauthorized
	}
	return s.verifier.Verify(strings.TrimSpace(raw))
}

// acting picks the acting clinic: the X-Org-Id header, else the token's
// app_metadata.org_id, else the user's only membership; it must be one of
// the user's memberships. InTenant checks the membership again, in the
// database, for every transaction the handler runs.
func (s *Server) acting(r *http.Request, p identity.Principal) (member, error) {
	var named frontdesk.OrgID
	if v := r.Header.Get("X-Org-Id"); v != "" {
		org, err := frontdesk.ParseOrgID(v)
		if err != nil {
			return member{}, badRequest("X-Org-Id", "X-Org-Id must be an organization id (a UUID)")
		}
		named = org
	}
	m, err := s.app.Identity.Acting(r.Context(), p.UserID, named, p.DefaultOrg)
	if errors.Is(err, identity.ErrChooseOrg) {
		return m, badRequest("X-Org-Id", "you belong to several organizations: name one with the X-Org-Id header (see GET /api/me)")
	}
	return m, err
}

// recordMiss audits a request for an object the acting clinic does not
// have: the action from the method (and a trailing verb), the object's
// type and id from the route's wildcard. It never changes the response.
func (s *Server) recordMiss(r *http.Request, m member, pattern string) {
	method, path, _ := strings.Cut(pattern, " ")
	segs := strings.Split(strings.Trim(path, "/"), "/")
	miss := identity.Miss{Action: map[string]string{"GET": "read", "PUT": "update", "DELETE": "delete", "POST": "update"}[method],
		RemoteAddr: s.clientIP(r)}
	if ri := info(r.Context()); ri != nil {
		miss.RequestID = ri.id
	}
	for i, seg := range segs {
		name, ok := strings.CutPrefix(seg, "{")
		if !ok {
			continue
		}
		name = strings.TrimSuffix(name, "}")
		miss.ResourceID = r.PathValue(name)
		// {callId} names a call; {id} one of the collection before it.
		miss.ResourceType = strings.TrimSuffix(name, "Id")
		if name == "id" || name == "number" {
			miss.ResourceType = strings.TrimSuffix(segs[i-1], "s")
		}
		if miss.ResourceType == "knowledge-base" {
			miss.ResourceType = "article"
		}
		if method == "POST" && i < len(segs)-1 {
			miss.Action = strings.Join(segs[i+1:], "_")
		}
	}
	if err := s.app.Identity.RecordMiss(r.Context(), m, miss); err != nil {
		s.log.ErrorContext(r.Context(), "audit event not recorded", "err", err, "resource", miss.ResourceType+"/"+miss.ResourceID)
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// NewPassword replaces a one-time password (required then), or any.
	NewPassword string `json:"new_password"`
}

// login exchanges an email and password for a token.
func (s *Server) login(w http.ResponseWriter, r *http.Request, _ member) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	sess, err := s.app.Identity.Login(r.Context(), req.Email, req.Password, req.NewPassword, s.clientIP(r))
	var limited *identity.RateLimitedError
	switch {
	case errors.As(err, &limited):
		w.Header().Set("Retry-After", strconv.Itoa(int(limited.RetryAfter.Seconds())+1))
		return &httpError{status: http.StatusTooManyRequests, detail: errorDetail{Code: "rate_limited", Message: limited.Error()}}
	case errors.Is(err, identity.ErrBadCredentials):
		return &httpError{status: http.StatusUnauthorized, detail: errorDetail{Code: "invalid_credentials", Message: err.Error()}}
	case errors.Is(err, identity.ErrPasswordChangeRequired):
		return &httpError{status: http.StatusForbidden, detail: errorDetail{Code: "password_change_required", Field: "new_password", Message: err.Error()}}
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"token": sess.Token, "token_type": "Bearer", "expires_in": int(sess.ExpiresIn.Seconds()), "user_id": sess.User,
	})
	return nil
}

type meResponse struct {
	User        identity.Profile `json:"user"`
	Memberships []meMembership   `json:"memberships"`
}

type meMembership struct {
	OrgID   frontdesk.OrgID `json:"org_id"`
	OrgName string          `json:"org_name"`
	Role    frontdesk.Role  `json:"role"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, m member) error {
	p, err := s.app.Identity.Me(r.Context(), m.User)
	if err != nil {
		return err
	}
	resp := meResponse{User: p, Memberships: []meMembership{}}
	for _, ms := range p.Memberships {
		resp.Memberships = append(resp.Memberships, meMembership{OrgID: ms.OrgID, OrgName: ms.OrgName, Role: ms.Role})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
