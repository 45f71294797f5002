// Package app wires the domain services over one store: what every front
// (the JSON API, and the dashboard after it) is given. Fronts call these
// operations and render their results; the rules live in the services.
package app

import (
	"context"
	"errors"
	"frontdesk/internal/access"
	"frontdesk/internal/patients"
	"log/slog"
	"time"

	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/agent"
	"frontdesk/internal/calendars"
	"frontdesk/internal/calls"
	"frontdesk/internal/campaigns"
	"frontdesk/internal/contacts"
	"frontdesk/internal/identity"
	"frontdesk/internal/jobs"
	"frontdesk/internal/knowledge"
	"frontdesk/internal/messaging"
	"frontdesk/internal/postgres"
	"frontdesk/internal/providers/google"
	"frontdesk/internal/providers/vapi"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/retention"
	"frontdesk/internal/scheduling"
	"frontdesk/internal/secrets"
	"frontdesk/internal/voice"
)

// Config is what the services are built from.
type Config struct {
	Store  *postgres.Store
	Issuer *identity.Issuer
	// TokenTTL is the lifetime of tokens from a password login.
	TokenTTL time.Duration
	// Jobs enqueues background work in the deciding transaction.
	Jobs    *jobs.Client
	Secrets *secrets.Box
	// Bucket holds call recordings.
	Bucket *blob.Bucket
	// Google connects calendars (nil: not configured).
	Google *google.Client
	// PublicURL is where the voice provider reaches Frontdesk.
	PublicURL string
	// VapiAPIURL is Vapi's REST API ("" for the real one);
	// VapiProofOptional lets numbers and assistants be registered without
	// a clinic's Vapi API key proving them (development only).
	VapiAPIURL        string
	VapiProofOptional bool
	Log               *slog.Logger
}

// App is every domain service.
type App struct {
	Identity     *identity.Service
	Calls        *calls.Service
	Voice        *voice.Service
	Scheduling   *scheduling.Service
	Messaging    *messaging.Service
	Calendars    *calendars.Service
	Knowledge    *knowledge.Service
	Agent        *agent.Service
	Receptionist *receptionist.Service
	Access       *access.Log
	Patients     *patients.Service
	Contacts     *contacts.Service
	Campaigns    *campaigns.Service
	Retention    *retention.Service
	store        *postgres.Store
}

// New builds the services.
func New(cfg Config) *App {
	a := &App{store: cfg.Store}
	a.Identity = identity.NewService(cfg.Store, cfg.Issuer, cfg.TokenTTL)
	a.Access = access.New(cfg.Store, cfg.Secrets)
	a.Calls = calls.NewService(cfg.Store, cfg.Jobs, cfg.Bucket, a.Access)
	a.Voice = voice.NewService(cfg.Store, cfg.Secrets, a.Calls, vapi.NewAPI(cfg.VapiAPIURL), !cfg.VapiProofOptional)
	a.Messaging = messaging.NewService(cfg.Store, cfg.Secrets, cfg.Jobs)
	a.Calendars = calendars.NewService(cfg.Store, cfg.Secrets, cfg.Google, cfg.Jobs, cfg.Log)
	// A booking made or cancelled, by staff or the agent, sends its texts
	// and syncs its calendar event: both enqueued in its transaction.
	a.Scheduling = scheduling.NewService(cfg.Store, a.Calendars.Busy,
		func(ctx context.Context, tx *postgres.Tx, b frontdesk.BookingID) error {
			if err := a.Messaging.BookingChanged(ctx, tx, b); err != nil {
				return err
			}
			if err := contacts.BookingTx(ctx, tx, b); err != nil {
				return err
			}
			return a.Calendars.BookingChanged(ctx, tx, b)
		})
	// Erasing a patient cancels their upcoming bookings as staff would.
	a.Patients = patients.NewService(cfg.Store, a.Access, cfg.Bucket, func(ctx context.Context, org frontdesk.OrgID, id frontdesk.BookingID) error {
		_, err := a.Scheduling.Cancel(ctx, org, id)
		if errors.Is(err, scheduling.ErrCancelled) {
			return nil
		}
		return err
	})
	a.Knowledge = knowledge.NewService(cfg.Store)
	a.Contacts = contacts.NewService(cfg.Store)
	a.Campaigns = campaigns.NewService(cfg.Store, cfg.Jobs, vapi.NewAPI(cfg.VapiAPIURL), a.Voice.APIKeyTx, a.Receptionist.Outbound)
	// A call's end settles its campaign attempt, if any, and makes the
	// patient a contact.
	a.Calls.OnEnded(func(ctx context.Context, tx *postgres.Tx, e calls.Ending) error {
		if err := a.Campaigns.CallEnded(ctx, tx, e.ProviderCallID, e.EndedReason, e.Outcome); err != nil {
			return err
		}
		return contacts.NoteTx(ctx, tx, e.Patient, e.CallerName, "call")
	})
	a.Retention = retention.NewService(cfg.Store, cfg.Bucket)
	a.Receptionist = receptionist.NewService(cfg.Store, cfg.Secrets, cfg.PublicURL)
	// The agent answers only the tools the clinic's profile allows.
	a.Agent = agent.NewService(cfg.Store, a.Scheduling, receptionist.PermitsTx,
		agent.Codes{Text: a.Messaging.TextCode, Box: cfg.Secrets}, cfg.Log)
	return a
}

// Ready reports whether the database answers and is migrated.
func (a *App) Ready(ctx context.Context) error { return a.store.Ready(ctx) }
