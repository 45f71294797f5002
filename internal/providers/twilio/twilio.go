// Package twilio is Twilio's side of SMS (shared/providers/twilio.md):
// sending through a clinic's own account with twilio-go, checking
// X-Twilio-Signature on webhooks, reading opt-out and confirm keywords,
// and answering with TwiML.
package twilio

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	twilio "github.com/twilio/twilio-go"
	"github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"frontdesk/internal/messaging"
)

// Account is one clinic's Twilio credentials.
type Account struct {
	SID, AuthToken string
}

// Client sends through one account. HTTP is the transport (nil: Twilio's
// default); tests point it at a local fake.
type Client struct {
	rest *twilio.RestClient
}

// NewClient returns a client for acct.
func NewClient(acct Account, httpClient *http.Client) *Client {
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 15 * time.Second}
	}
	c := &client.Client{Credentials: client.NewCredentials(acct.SID, acct.AuthToken), HTTPClient: httpClient}
	c.SetAccountSid(acct.SID)
	return &Client{rest: twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})}
}

// Sent is a message Twilio accepted.
type Sent struct{ SID, Status string }

// Send sends body from from to to, asking for status callbacks at
// statusURL.
func (c *Client) Send(to, from, body, statusURL string) (Sent, error) {
	p := &api.CreateMessageParams{}
	p.SetTo(to).SetFrom(from).SetBody(body)
	if statusURL != "" {
		p.SetStatusCallback(statusURL)
	}
	m, err := c.rest.Api.CreateMessage(p)
	if err != nil {
		return Sent{}, err
	}
	if m.Sid == nil {
		return Sent{}, errors.New("twilio accepted the message without a sid")
	}
	s := Sent{SID: *m.Sid, Status: "queued"}
	if m.Status != nil {
		s.Status = *m.Status
	}
	return s, nil
}

// FindSent looks for a message with exactly this body sent from from to
// to since since: after a crash between Twilio accepting a message and our
// recording it, the retry adopts the message instead of sending it twice.
func (c *Client) FindSent(to, from, body string, since time.Time) (Sent, bool, error) {
	p := &api.ListMessageParams{}
	p.SetTo(to).SetFrom(from).SetDateSentAfter(since.Add(-time.Minute)).SetLimit(50)
	ms, err := c.rest.Api.ListMessage(p)
	if err != nil {
		return Sent{}, false, err
	}
	for _, m := range ms {
		if m.Body != nil && *m.Body == body && m.Sid != nil {
			s := Sent{SID: *m.Sid, Status: "queued"}
			if m.Status != nil {
				s.Status = *m.Status
			}
			return s, true, nil
		}
	}
	return Sent{}, false, nil
}

// ErrorCode is Twilio's error code in err, or 0.
func ErrorCode(err error) int {
	var te *client.TwilioRestError
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}

// Permanent reports whether retrying err cannot help (a 4xx from Twilio).
func Permanent(err error) bool {
	var te *client.TwilioRestError
	return errors.As(err, &te) && te.Status >= 400 && te.Status < 500 && te.Status != http.StatusTooManyRequests
}

// CodeOptedOut is Twilio's error for a recipient who texted STOP.
const CodeOptedOut = 21610

// Verify checks X-Twilio-Signature over the public URL Twilio called and
// every form parameter, with the clinic's auth token.
func Verify(authToken, publicURL string, form url.Values, signature string) bool {
	if signature == "" {
		return false
	}
	params := make(map[string]string, len(form))
	for k, v := range form {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	v := client.NewRequestValidator(authToken)
	return v.Validate(publicURL, params, signature)
}

// Classify reads a single-word keyword, case-insensitively, as Twilio
// does: anything longer is a message for staff.
func Classify(body string) messaging.Action {
	switch strings.ToUpper(strings.TrimSpace(body)) {
	case "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT":
		return messaging.ActionOptOut
	case "START", "YES", "UNSTOP":
		return messaging.ActionOptIn
	case "C", "CONFIRM":
		return messaging.ActionConfirm
	}
	return messaging.ActionMessage
}

// TwiML returns a response that replies text, or says nothing when text
// is empty.
func TwiML(text string) []byte {
	type message struct {
		Text string `xml:",chardata"`
	}
	type response struct {
		XMLName xml.Name  `xml:"Response"`
		Message []message `xml:"Message,omitempty"`
	}
	r := response{}
	if text != "" {
		r.Message = []message{{text}}
	}
	b, _ := xml.Marshal(r)
	return append([]byte(xml.Header), b...)
}

// HTTPClient sends every request to baseURL (a regional edge, a local
// fake) whatever host twilio-go names: twilio-go has no base-URL option.
// An empty baseURL is Twilio itself.
func HTTPClient(baseURL string) (*http.Client, error) {
	if baseURL == "" {
		return &http.Client{Timeout: 15 * time.Second}, nil
	}
	target, err := url.Parse(baseURL)
	if err != nil || target.Host == "" || (target.Scheme != "https" && target.Scheme != "http") {
		return nil, fmt.Errorf("Twilio API URL %q is not an http(s) URL", baseURL)
	}
	return &http.Client{Transport: toHost{target}, Timeout: 15 * time.Second}, nil
}

type toHost struct{ target *url.URL }

func (t toHost) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = t.target.Scheme, t.target.Host
	return http.DefaultTransport.RoundTrip(r)
}
