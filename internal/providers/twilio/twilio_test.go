package twilio_test

import (
	"net/url"
	"strings"
	"testing"

	"frontdesk/internal/messaging"
	"frontdesk/internal/providers/twilio"
)

// The signature examples of shared/providers/twilio.md.
func TestVerifyKnownSignatures(t *testing.T) {
	t.Parallel()
	base := "https://mycompany.com/myapp.php?foo=1&bar=2"
	a := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	c := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+14158675309"}, "Digits": {"1234"},
		"From": {"+14158675309"}, "To": {"+18005551212"}, "Reason": {"Participant"}, "ReasonConferenceEnded": {"test"}}
	cases := []struct {
		name   string
		url    string
		params url.Values
		sig    string
		ok     bool
	}{
		{"docs example A", base, a, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", true},
		{"example C (sort by name, byte order)", base, c, "vOEb5UThFn24KEfnOFLQY2AE5FY=", true},
		{"example C over http", strings.Replace(base, "https", "http", 1), c, "n2xBNyzSW7rfYStDtOFiFMv7qNo=", true},
		{"example C signed with the wrong sort", base, c, "95+Bu0JVPi0r/SsESZCVf0dWAjw=", false},
		{"the https signature on the http URL", strings.Replace(base, "https", "http", 1), c, "vOEb5UThFn24KEfnOFLQY2AE5FY=", false},
		{"a parameter changed", base, url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"9999"},
			"From": {"+12349013030"}, "To": {"+18005551212"}}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=", false},
		{"no signature", base, a, "", false},
	}
	for _, tc := range cases {
		if got := twilio.Verify("12345", tc.url, tc.params, tc.sig); got != tc.ok {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.ok)
		}
	}
	if twilio.Verify("54321", base, a, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=") {
		t.Error("another account's token verified the signature")
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]messaging.Action{
		"STOP": messaging.ActionOptOut, " unsubscribe ": messaging.ActionOptOut, "Cancel": messaging.ActionOptOut,
		"START": messaging.ActionOptIn, "yes": messaging.ActionOptIn,
		"C": messaging.ActionConfirm, "confirm": messaging.ActionConfirm,
		"STOP please": messaging.ActionMessage, "Can I come at 3?": messaging.ActionMessage, "": messaging.ActionMessage,
	} {
		if got := twilio.Classify(body); got != want {
			t.Errorf("%q: %s, want %s", body, got, want)
		}
	}
}

func TestTwiML(t *testing.T) {
	t.Parallel()
	if got := string(twilio.TwiML("Tom & Jerry <3")); !strings.Contains(got, "<Response><Message>Tom &amp; Jerry &lt;3</Message></Response>") {
		t.Fatalf("escaping: %s", got)
	}
	if got := string(twilio.TwiML("")); !strings.HasSuffix(got, "<Response></Response>") {
		t.Fatalf("empty: %s", got)
	}
}
