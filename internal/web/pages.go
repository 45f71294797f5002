package web

import (
	"bytes"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"frontdesk"
	accesslog "frontdesk/internal/access"
	"frontdesk/internal/calendars"
	"frontdesk/internal/identity"
)

// The staff dashboard: server-rendered pages (ui/templates), one
// stylesheet and one script (ui/static), on the same domain services as
// the API. A page is signed in by a session cookie, never a bearer token;
// the acting clinic is the session's, chosen with the switcher.

//go:embed ui
var ui embed.FS

// sessionCookie holds the dashboard session's token.
const sessionCookie = "frontdesk_session"

// csp lets a page load only the app's own stylesheet, script, recordings
// and images: no inline script or style, no framing. Forms post only to
// the app, which may send the browser on to Google's consent page (the
// one origin outside it a form may lead to, when calendars are set up).
func (s *Server) csp() string {
	formAction := "'self'"
	if g := s.app.Calendars.ConsentOrigin(); g != "" {
		formAction += " " + g
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
		"connect-src 'self'; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// pageFunc is a page handler: it renders through v or returns its error.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *view) error

// page is one line of the dashboard.
type page struct {
	pattern string
	access  access
	h       pageFunc
}

// view is what a page knows of its visitor.
type view struct {
	m      member
	token  string
	csrf   string
	user   identity.Profile
	clinic string
	nav    string
}

// layout is what every page's frame shows.
type layout struct {
	Title, Nav, User, Clinic, CSRF string
	Role                           frontdesk.Role
	Clinics                        []clinicChoice
	SignedIn, Admin, Owner         bool
	// Data is the page's own.
	Data any
}

type clinicChoice struct {
	ID      frontdesk.OrgID
	Name    string
	Current bool
}

// templates are the pages, each parsed with the layout.
var templates = func() map[string]*template.Template {
	funcs := template.FuncMap{
		"when": func(t time.Time) string { return t.Format("Mon 2 Jan 2006, 3:04 PM") },
		"whenp": func(t *time.Time) string {
			if t == nil {
				return ""
			}
			return t.Format("Mon 2 Jan, 3:04 PM")
		},
		"clock":    func(t time.Time) string { return t.Format("3:04:05 PM") },
		"duration": durationWords,
		"label":    words,
		"list":     func(v ...string) []string { return v },
		// args names a shared part's values: (args "Key" value ...).
		"args": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		// field is one form field: its name, label, value and error; its
		// id is the name, after the form's prefix when a page has several
		// forms with the same fields.
		"field": func(form any, name, label string, value any) formField {
			f := formField{ID: name, Name: name, Label: label, Value: fmt.Sprint(value)}
			if e, ok := form.(interface{ fieldError(string) string }); ok {
				f.Error = e.fieldError(name)
			}
			if p, ok := form.(interface{ IDPrefix() string }); ok {
				f.ID = p.IDPrefix() + name
			}
			return f
		},
		"isOn": func(b *bool) bool { return b != nil && *b },
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
	}
	out := map[string]*template.Template{}
	names, err := fs.Glob(ui, "ui/templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" {
			continue
		}
		// Each page with the frame and the parts every page shares (*.tmpl).
		out[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(ui, "ui/templates/layout.html", "ui/templates/*.tmpl", n))
	}
	return out
}()

// words is a code as words: "in-progress" and "question_answered" read
// "in progress" and "question answered".
func words(code string) string { return strings.NewReplacer("_", " ", "-", " ").Replace(code) }

// formRefusal is a refused form's errors by the field they name ("" for
// the form as a whole) and its status; ok is false for an error that is
// not a refusal of what was typed.
func formRefusal(err error) (fields map[string]string, status int, ok bool) {
	var (
		ve *frontdesk.ValidationError
		ce *frontdesk.ConflictError
	)
	switch {
	case errors.As(err, &ve):
		return map[string]string{ve.Field: ve.Message}, http.StatusUnprocessableEntity, true
	case errors.As(err, &ce):
		return map[string]string{ce.Field: ce.Message}, http.StatusConflict, true
	}
	return nil, 0, false
}

// formField is one labelled input of a form, with its error.
type formField struct{ ID, Name, Label, Value, Error string }

func durationWords(secs *int32) string {
	if secs == nil {
		return ""
	}
	d := time.Duration(*secs) * time.Second
	if d < time.Minute {
		return fmt.Sprintf("%ds", *secs)
	}
	return fmt.Sprintf("%dm %02ds", int(d.Minutes()), *secs%60)
}

// pagesHandler serves the dashboard: its pages behind their access, the
// static files, and cross-origin protection on every state-changing
// request (a refused one answers 403, never a redirect).
func (s *Server) pagesHandler() http.Handler {
	mux := http.NewServeMux()
	for _, pg := range s.pages() {
		mux.HandleFunc(pg.pattern, s.pageGuard(pg))
	}
	static, _ := fs.Sub(ui, "ui/static")
	files := http.FileServerFS(static)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		files.ServeHTTP(w, r)
	})))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, nil, http.StatusForbidden, "This form came from another site and was refused.")
	}))
	protected := cop.Handler(mux)
	policy := s.csp() // the configuration's: the same for every page
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", policy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		protected.ServeHTTP(w, r)
	})
}

// pageGuard signs a page in from the session cookie and decides its
// access before the body is read: signed out, a page leads to the sign-in
// page and a form is refused (401); a clinic must be chosen; a role below
// the page's is a 403 page. Then a form must carry the session's token.
func (s *Server) pageGuard(pg page) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v := &view{}
		err := s.signIn(w, r, pg, v)
		if err == nil {
			err = pg.h(w, r, v)
			if errors.Is(err, frontdesk.ErrNotFound) && strings.Contains(pg.pattern, "{") {
				s.recordMiss(r, v.m, pg.pattern)
			}
		}
		if err != nil {
			s.pageError(w, r, v, err)
		}
	}
}

// errRedirect sends the browser elsewhere instead of an error page.
type errRedirect string

func (e errRedirect) Error() string { return "redirect to " + string(e) }

func (s *Server) signIn(w http.ResponseWriter, r *http.Request, pg page, v *view) error {
	if pg.access == public {
		return nil
	}
	c, _ := r.Cookie(sessionCookie)
	if c == nil {
		return s.signedOut(r)
	}
	ctx := r.Context()
	visit, err := s.app.Identity.WebVisitOf(ctx, c.Value)
	if errors.Is(err, frontdesk.ErrUnauthorized) {
		clearSession(w, s.secureCookies())
		return s.signedOut(r)
	}
	if err != nil {
		return err
	}
	sess := visit.Session
	v.token, v.csrf, v.user = c.Value, sess.CSRF, visit.Profile
	ctx = accesslog.By(identity.ActingAs(ctx, sess.User), accesslog.Dashboard, s.clientIP(r), "")
	*r = *r.WithContext(ctx)
	v.m = member{User: sess.User, Org: sess.Org} // the clinic is checked below, for clinic pages
	for _, ms := range v.user.Memberships {
		if ms.OrgID == sess.Org {
			v.clinic = ms.OrgName
		}
	}
	if pg.access != signedIn {
		if sess.Org.IsZero() {
			return errRedirect("/clinics")
		}
		// The membership, checked again now (InTenant checks it once more
		// in every transaction).
		m, err := identity.ActingIn(v.user.Memberships, sess.User, sess.Org, frontdesk.OrgID{})
		if errors.Is(err, frontdesk.ErrForbidden) { // no longer a member: choose again
			return errRedirect("/clinics")
		}
		if err != nil {
			return err
		}
		v.m = m
		if ri := info(ctx); ri != nil {
			ri.org = m.Org.String()
		}
		if !m.Role.AtLeast(minRole[pg.access]) {
			return frontdesk.ErrForbidden
		}
	}
	if r.Method == http.MethodPost {
		given := r.PostFormValue("csrf")
		if subtle.ConstantTimeCompare([]byte(given), []byte(sess.CSRF)) != 1 {
			return &httpError{status: http.StatusForbidden, detail: errorDetail{Code: "forbidden",
				Message: "This form has expired. Go back, reload the page and try again."}}
		}
	}
	return nil
}

// signedOut leads a page to the sign-in page and refuses a form.
func (s *Server) signedOut(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return errRedirect("/login?next=" + url.QueryEscape(r.URL.RequestURI()))
	}
	return frontdesk.ErrUnauthorized
}

func (s *Server) secureCookies() bool { return strings.HasPrefix(s.publicURL, "https://") }

func setSession(w http.ResponseWriter, token string, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(identity.WebSessionLifetime.Seconds())})
}

func clearSession(w http.ResponseWriter, secure bool) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// render writes a page in the layout.
func (s *Server) render(w http.ResponseWriter, v *view, status int, name, title string, data any) error {
	l := layout{Title: title, Data: data}
	if v != nil && !v.m.User.IsZero() {
		l.SignedIn, l.User, l.CSRF, l.Nav, l.Clinic, l.Role = true, v.user.Email, v.csrf, v.nav, v.clinic, v.m.Role
		l.Admin, l.Owner = v.m.Role.AtLeast(frontdesk.RoleAdmin), v.m.Role.AtLeast(frontdesk.RoleOwner)
		for _, ms := range v.user.Memberships {
			l.Clinics = append(l.Clinics, clinicChoice{ID: ms.OrgID, Name: ms.OrgName, Current: ms.OrgID == v.m.Org})
		}
	}
	var b bytes.Buffer // the whole page first: a template error becomes an error page, not half a page
	if err := templates[name].ExecuteTemplate(&b, "layout", l); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

// pageError answers a page's error: the sign-in page, a redirect, or an
// error page whose words depend only on the status (another clinic's
// object and a missing one look the same).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, v *view, err error) {
	var (
		redirect errRedirect
		he       *httpError
		ve       *frontdesk.ValidationError
		conflict *frontdesk.ConflictError
		badState *calendars.ErrBadState
	)
	switch {
	case errors.As(err, &redirect):
		http.Redirect(w, r, string(redirect), http.StatusSeeOther)
	case errors.As(err, &he):
		s.renderError(w, r, v, he.status, he.detail.Message)
	case errors.As(err, &ve):
		s.renderError(w, r, v, http.StatusUnprocessableEntity, ve.Error())
	case errors.As(err, &conflict):
		s.renderError(w, r, v, http.StatusConflict, conflict.Message)
	case errors.As(err, &badState):
		s.renderError(w, r, v, http.StatusBadRequest, "Google Calendar was not connected: "+badState.Reason+".")
	case errors.Is(err, calendars.ErrNotConfigured):
		s.renderError(w, r, v, http.StatusConflict, calendars.ErrNotConfigured.Error())
	case errors.Is(err, frontdesk.ErrUnauthorized):
		s.renderError(w, r, nil, http.StatusUnauthorized, "You are signed out. Sign in again to continue.")
	case errors.Is(err, frontdesk.ErrForbidden):
		s.renderError(w, r, v, http.StatusForbidden, "Your role in this clinic does not allow this.")
	case errors.Is(err, frontdesk.ErrNotFound):
		s.renderError(w, r, v, http.StatusNotFound, "There is nothing here. It may have been removed, or the link is wrong.")
	case errors.Is(err, frontdesk.ErrUnavailable):
		w.Header().Set("Retry-After", "1")
		s.renderError(w, r, v, http.StatusServiceUnavailable, "Frontdesk is busy. Try again in a moment.")
	case errors.Is(err, r.Context().Err()) && r.Context().Err() != nil:
		w.WriteHeader(499)
	default:
		s.log.ErrorContext(r.Context(), "page failed", "err", err)
		s.renderError(w, r, v, http.StatusInternalServerError, "Something went wrong on our side. Try again; if it persists, tell the operator.")
	}
}

func (s *Server) renderError(w http.ResponseWriter, r *http.Request, v *view, status int, message string) {
	title := map[int]string{400: "Not possible", 401: "Signed out", 403: "Not allowed", 404: "Not found", 409: "Not possible",
		422: "Not valid", 503: "Busy"}[status]
	if title == "" {
		title = "Error"
	}
	if err := s.render(w, v, status, "error", title, map[string]any{"Status": status, "Message": message}); err != nil {
		s.log.ErrorContext(r.Context(), "error page failed", "err", err)
	}
}

// home leads to the calls page (through the sign-in page when signed out).
func (s *Server) home(w http.ResponseWriter, r *http.Request, v *view) error {
	if r.URL.Path != "/" {
		return frontdesk.ErrNotFound
	}
	return errRedirect("/calls")
}

// notFoundPage is every path no page has.
func (s *Server) notFoundPage(w http.ResponseWriter, r *http.Request, v *view) error {
	return frontdesk.ErrNotFound
}
