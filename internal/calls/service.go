package calls

import (
	"context"
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// Outbox enqueues the side effects a call change decides, in its
// transaction (implemented by the job queue).
type Outbox interface {
	EnqueueRecordingDownload(ctx context.Context, tx *postgres.Tx, call frontdesk.CallID) (bool, error)
}

// Service owns calls: the dashboard's list and detail, recordings and
// their retention, and the provider events that create and update calls.
type Service struct {
	store    *postgres.Store
	outbox   Outbox
	bucket   *blob.Bucket
	access   *access.Log
	watchers watchers
	ended    Ended
}

// Ended is told of every call's end, in the transaction that records it.
type Ended func(ctx context.Context, tx *postgres.Tx, e Ending) error

// Ending is a call's end: the provider's id for it, why it ended, its
// outcome, and the patient's number and name as the call gave them.
type Ending struct {
	ProviderCallID, EndedReason, Outcome string
	Patient, CallerName                  string
}

// OnEnded has fn told of every call's end (the campaigns settle their
// attempts; the caller becomes a contact).
func (s *Service) OnEnded(fn Ended) { s.ended = fn }

// NewService returns the calls service; reads of transcripts and
// recordings are written to log.
func NewService(store *postgres.Store, outbox Outbox, bucket *blob.Bucket, log *access.Log) *Service {
	return &Service{store: store, outbox: outbox, bucket: bucket, access: log}
}

// Patient is the number of the patient on a call: the caller's, or for
// an outbound call the number called.
func Patient(direction, from, to string) string {
	if direction == "outbound" {
		return to
	}
	return from
}

// Call is one row of the list. Times are in the clinic's zone.
type Call struct {
	ID              frontdesk.CallID `json:"id"`
	Direction       string           `json:"direction"`
	Status          string           `json:"status"`
	FromNumber      string           `json:"from_number"`
	ToNumber        string           `json:"to_number"`
	CallerName      string           `json:"caller_name"`
	StartedAt       time.Time        `json:"started_at"`
	EndedAt         *time.Time       `json:"ended_at"`
	DurationSeconds *int32           `json:"duration_seconds"`
	EndedReason     string           `json:"ended_reason"`
	RecordingStatus string           `json:"recording_status"`
	CostUSD         *float64         `json:"cost_usd"`
	// Outcome is what the call achieved, as the assistant's analysis
	// reported it (one of Outcomes), or null.
	Outcome *string `json:"outcome"`
	// Booked: a booking the call made is still on; OpenCallback: a message
	// it left for the staff is still open.
	Booked       bool `json:"booked"`
	OpenCallback bool `json:"open_callback"`
}

// followUps marks which of calls made a booking or left an open message,
// in one query.
func followUps(ctx context.Context, tx *postgres.Tx, calls []*Call) error {
	if len(calls) == 0 {
		return nil
	}
	ids := make([]uuid.UUID, len(calls))
	at := map[frontdesk.CallID]*Call{}
	for i, c := range calls {
		ids[i], at[c.ID] = uuid.UUID(c.ID), c
	}
	rows, err := tx.CallFollowUps(ctx, db.CallFollowUpsParams{OrgID: tx.Org.ID, Ids: ids})
	for _, r := range rows {
		at[r.ID].Booked, at[r.ID].OpenCallback = r.Booked, r.OpenCallback
	}
	return err
}

// Detail is one call with what was said and done on it.
type Detail struct {
	Call
	Provider       string  `json:"provider"`
	ProviderCallID *string `json:"provider_call_id"`
	Summary        string  `json:"summary"`
	Transcript     string  `json:"transcript"`
	// Redactions is how many card and social security numbers were taken
	// out of the summary and transcript before they were stored.
	Redactions int        `json:"redactions"`
	Recording  Recording  `json:"recording"`
	LastHangAt *time.Time `json:"last_hang_at"`
	ToolCalls  []ToolCall `json:"tool_calls"`
	Transfers  []Transfer `json:"transfers"`
	Bookings   []Booking  `json:"bookings"`
	Callbacks  []Callback `json:"callbacks"`
	// Campaign is the campaign that placed an outbound call, if any.
	Campaign  *CampaignLink `json:"campaign,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
}

// CampaignLink names the campaign and attempt that placed a call.
type CampaignLink struct {
	ID      uuid.UUID `json:"id"`
	Name    string    `json:"name"`
	Attempt int32     `json:"attempt"`
}

// Recording is the state of a call's recording.
type Recording struct {
	Status string `json:"status"`
	// Error says why a failed recording failed.
	Error     string `json:"error,omitempty"`
	SizeBytes *int64 `json:"size_bytes,omitempty"`
	// URL streams a stored recording.
	URL string `json:"url,omitempty"`
}

// ToolCall is one of the agent's tool calls on a call, as answered.
type ToolCall struct {
	Name      string    `json:"name"`
	Arguments RawJSON   `json:"arguments"`
	Result    string    `json:"result,omitempty"`
	Error     string    `json:"error,omitempty"`
	LatencyMs int32     `json:"latency_ms"`
	At        time.Time `json:"at"`
}

// Transfer is a transfer the assistant asked for on a call: to the front
// desk or the on-call number, put through, or refused (closed: after
// hours; no_number: none configured).
type Transfer struct {
	Destination string    `json:"destination"` // front_desk, on_call or none
	Number      string    `json:"number,omitempty"`
	Outcome     string    `json:"outcome"` // put_through, closed or no_number
	At          time.Time `json:"at"`
}

// Booking is a booking or hold made (or moved to) on a call.
type Booking struct {
	ID          frontdesk.BookingID `json:"id"`
	Service     string              `json:"service"`
	Clinician   string              `json:"clinician"`
	Status      string              `json:"status"`
	Start       time.Time           `json:"start"`
	PatientName string              `json:"patient_name"`
}

// RawJSON is JSON kept as received.
type RawJSON []byte

func (r RawJSON) MarshalJSON() ([]byte, error) {
	if len(r) == 0 {
		return []byte("null"), nil
	}
	return r, nil
}

// Page is one page of the list, with the exact total for the filter.
type Page struct {
	Calls      []Call  `json:"calls"`
	Total      int64   `json:"total"`
	Limit      int     `json:"limit"`
	NextCursor *string `json:"next_cursor"`
}

// List is the clinic's calls for the dashboard's query parameters.
func (s *Service) List(ctx context.Context, org frontdesk.OrgID, q url.Values) (Page, error) {
	var out Page
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		f, err := ParseListFilter(q, tx.Org)
		if err != nil {
			return err
		}
		p := db.ListCallsParams{
			OrgID: org, Direction: text(f.Direction), Status: text(f.Status), Outcome: text(f.Outcome), Words: text(f.Words),
			StartedFrom: f.From, StartedBefore: f.To, FromNumber: text(f.Phone), NamePrefix: text(f.NamePrefix),
			RowLimit: int32(f.Limit + 1),
		}
		if f.After != nil {
			p.AfterStartedAt = &f.After.StartedAt
			p.AfterID = uuid.NullUUID{UUID: uuid.UUID(f.After.ID), Valid: true}
		}
		rows, err := tx.OneShot().ListCalls(ctx, p)
		if err != nil {
			return err
		}
		if out.Total, err = countCalls(ctx, tx, p); err != nil {
			return err
		}
		out.Limit = f.Limit
		out.Calls = make([]Call, 0, len(rows))
		for i, row := range rows {
			if i == f.Limit {
				next := Cursor{StartedAt: rows[i-1].StartedAt, ID: rows[i-1].ID}.Encode()
				out.NextCursor = &next
				break
			}
			out.Calls = append(out.Calls, summarize(row, tx.Org.Location))
		}
		page := make([]*Call, len(out.Calls))
		for i := range out.Calls {
			page[i] = &out.Calls[i]
		}
		return followUps(ctx, tx, page)
	})
	return out, err
}

// Get is one call of the clinic, its transcript and summary included: a
// read the access log records. Another clinic's is frontdesk.ErrNotFound.
func (s *Service) Get(ctx context.Context, org frontdesk.OrgID, id frontdesk.CallID) (Detail, error) {
	var out Detail
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		c, err := tx.GetCall(ctx, db.GetCallParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		if err := s.access.Read(ctx, tx, access.Call, c.ID, Patient(c.Direction, c.FromNumber, c.ToNumber)); err != nil {
			return err
		}
		loc := tx.Org.Location
		out = Detail{
			Call: summarize(db.ListCallsRow{
				ID: c.ID, Direction: c.Direction, Status: c.Status, FromNumber: c.FromNumber, ToNumber: c.ToNumber,
				CallerName: c.CallerName, StartedAt: c.StartedAt, EndedAt: c.EndedAt, DurationSeconds: c.DurationSeconds,
				EndedReason: c.EndedReason, RecordingStatus: c.RecordingStatus, CostUsd: c.CostUsd, Outcome: c.Outcome,
			}, loc),
			Provider:   c.Provider,
			Summary:    c.Summary,
			Transcript: c.Transcript,
			Redactions: int(c.Redactions),
			Recording:  Recording{Status: c.RecordingStatus, Error: c.RecordingError},
			LastHangAt: InZone(c.LastHangAt, loc),
			CreatedAt:  c.CreatedAt.In(loc),
			UpdatedAt:  c.UpdatedAt.In(loc),
			ToolCalls:  []ToolCall{},
			Transfers:  []Transfer{},
			Bookings:   []Booking{},
			Callbacks:  []Callback{},
		}
		tools, err := tx.CallToolCalls(ctx, db.CallToolCallsParams{OrgID: org, CallID: c.ID})
		if err != nil {
			return err
		}
		for _, t := range tools {
			out.ToolCalls = append(out.ToolCalls, ToolCall{Name: t.Name, Arguments: RawJSON(t.Arguments), Result: t.Result,
				Error: t.Error, LatencyMs: t.LatencyMs, At: t.CreatedAt.In(loc)})
		}
		transfers, err := tx.CallTransfers(ctx, db.CallTransfersParams{OrgID: org, CallID: c.ID})
		if err != nil {
			return err
		}
		for _, t := range transfers {
			out.Transfers = append(out.Transfers, Transfer{Destination: t.Destination, Number: t.Number, Outcome: t.Outcome, At: t.CreatedAt.In(loc)})
		}
		bookings, err := tx.CallBookings(ctx, db.CallBookingsParams{OrgID: org, CallID: c.ID})
		if err != nil {
			return err
		}
		for _, b := range bookings {
			out.Booked = out.Booked || b.Status == "confirmed"
			out.Bookings = append(out.Bookings, Booking{ID: b.ID, Service: b.ServiceName, Clinician: b.ResourceName, Status: b.Status,
				Start: b.StartsAt.In(loc), PatientName: b.PatientName})
		}
		callbacks, err := tx.CallCallbackRequests(ctx, db.CallCallbackRequestsParams{OrgID: org, CallID: c.ID})
		if err != nil {
			return err
		}
		for _, r := range callbacks {
			out.OpenCallback = out.OpenCallback || r.Status == "open"
			out.Callbacks = append(out.Callbacks, callback(db.ListCallbackRequestsRow(r), loc))
		}
		if c.RecordingStatus == "stored" {
			out.Recording.SizeBytes = &c.RecordingSize.Int64
			out.Recording.URL = "/api/calls-dashboard/" + c.ID.String() + "/recording"
		}
		if c.ProviderCallID.Valid {
			out.ProviderCallID = &c.ProviderCallID.String
			if c.Direction == "outbound" {
				camp, err := tx.CampaignOfCall(ctx, db.CampaignOfCallParams{OrgID: org, VapiCallID: c.ProviderCallID})
				if err == nil {
					out.Campaign = &CampaignLink{ID: camp.ID, Name: camp.Name, Attempt: camp.Attempt}
				} else if !errors.Is(err, frontdesk.ErrNotFound) {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// Stats are counts by status and direction and the average duration.
type Stats struct {
	From               *time.Time       `json:"from"`
	To                 *time.Time       `json:"to"`
	Total              int64            `json:"total"`
	ByStatus           map[string]int64 `json:"by_status"`
	ByDirection        map[string]int64 `json:"by_direction"`
	AvgDurationSeconds float64          `json:"avg_duration_seconds"`
}

// Stats counts the clinic's calls in the query's from/to range.
func (s *Service) Stats(ctx context.Context, org frontdesk.OrgID, q url.Values) (Stats, error) {
	out := Stats{ByStatus: map[string]int64{}, ByDirection: map[string]int64{}}
	for _, st := range Statuses {
		out.ByStatus[st] = 0
	}
	for _, d := range Directions {
		out.ByDirection[d] = 0
	}
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		from, to, err := ParseStatsRange(q, tx.Org)
		if err != nil {
			return err
		}
		out.From, out.To = InZone(from, tx.Org.Location), InZone(to, tx.Org.Location)
		rows, err := tx.OneShot().CallStats(ctx, db.CallStatsParams{OrgID: org, StartedFrom: from, StartedBefore: to})
		if err != nil {
			return err
		}
		var timed, seconds int64
		for _, row := range rows {
			out.Total += row.Calls
			out.ByStatus[row.Status] += row.Calls
			out.ByDirection[row.Direction] += row.Calls
			timed += row.TimedCalls
			seconds += row.DurationSeconds
		}
		if timed > 0 {
			out.AvgDurationSeconds = float64(seconds) / float64(timed)
		}
		return nil
	})
	return out, err
}

// countCalls is the exact total for a listing. A search matches few rows
// through its index and is counted directly; anything else adds up the
// hourly counts (call_counts) and counts only the partial hours at the ends
// of the range, so a big clinic's total costs what a small one's does.
func countCalls(ctx context.Context, tx *postgres.Tx, p db.ListCallsParams) (int64, error) {
	if p.FromNumber.Valid || p.NamePrefix.Valid || p.Outcome.Valid || p.Words.Valid { // the hourly counts keep neither
		return tx.OneShot().CountCalls(ctx, db.CountCallsParams{
			OrgID: p.OrgID, Direction: p.Direction, Status: p.Status, Outcome: p.Outcome, Words: p.Words, StartedFrom: p.StartedFrom,
			StartedBefore: p.StartedBefore, FromNumber: p.FromNumber, NamePrefix: p.NamePrefix,
		})
	}
	split := SplitHours(p.StartedFrom, p.StartedBefore)
	hp := db.CountCallsHourlyParams{OrgID: p.OrgID, Direction: p.Direction, Status: p.Status,
		HoursFrom: split.HoursFrom, HoursBefore: split.HoursBefore}
	if split.Head != nil {
		hp.HeadFrom, hp.HeadBefore = &split.Head[0], &split.Head[1]
	}
	if split.Tail != nil {
		hp.TailFrom, hp.TailBefore = &split.Tail[0], &split.Tail[1]
	}
	return tx.OneShot().CountCallsHourly(ctx, hp)
}

// ErrNoRecording: the call exists but has no stored recording (Status
// says why).
type ErrNoRecording struct{ Status string }

func (e *ErrNoRecording) Error() string {
	if e.Status == "" {
		return "the recording is missing from storage"
	}
	return "this call has no stored recording (status: " + e.Status + ")"
}

// Audio is a stored recording, open for reading. The caller closes it.
type Audio struct {
	io.ReadSeekCloser
	ContentType string
	ModTime     time.Time
}

// Recording opens a call's stored recording; a new playback (not a seek
// within one) is a read the access log records. The transaction ends
// before blob storage is read.
func (s *Service) Recording(ctx context.Context, org frontdesk.OrgID, id frontdesk.CallID, newPlayback bool) (Audio, error) {
	var rec db.StoredRecordingRow
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
		if rec, err = tx.StoredRecording(ctx, db.StoredRecordingParams{OrgID: org, ID: id}); err != nil || !newPlayback || rec.RecordingStatus != "stored" {
			return err
		}
		return s.access.Read(ctx, tx, access.Recording, id, Patient(rec.Direction, rec.FromNumber, rec.ToNumber))
	})
	if err != nil {
		return Audio{}, err
	}
	if rec.RecordingStatus != "stored" {
		return Audio{}, &ErrNoRecording{Status: rec.RecordingStatus}
	}
	r, err := s.bucket.NewReader(ctx, rec.RecordingKey, nil)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return Audio{}, &ErrNoRecording{}
	}
	if err != nil {
		return Audio{}, err
	}
	// Served as the audio its bytes show, whatever label it was stored with.
	head := make([]byte, 512)
	n, _ := io.ReadFull(r, head)
	ct := AudioType(head[:n])
	if _, err := r.Seek(0, io.SeekStart); err != nil || ct == "" {
		r.Close()
		if err != nil {
			return Audio{}, err
		}
		return Audio{}, &ErrNoRecording{Status: "not audio"}
	}
	return Audio{ReadSeekCloser: r, ContentType: ct, ModTime: r.ModTime()}, nil
}

// RetryRecording sends a failed recording back to the download queue.
func (s *Service) RetryRecording(ctx context.Context, org frontdesk.OrgID, id frontdesk.CallID) error {
	return s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		rec, err := tx.RecordingTarget(ctx, db.RecordingTargetParams{OrgID: org, ID: id})
		if err != nil {
			return err
		}
		if rec.RecordingStatus != "failed" || rec.RecordingUrl == "" {
			return frontdesk.Conflict("", "only a failed recording with a provider URL can be retried (status: "+rec.RecordingStatus+")")
		}
		_, err = s.outbox.EnqueueRecordingDownload(ctx, tx, id)
		return err
	})
}

func summarize(c db.ListCallsRow, loc *time.Location) Call {
	out := Call{
		ID: c.ID, Direction: c.Direction, Status: c.Status, FromNumber: c.FromNumber, ToNumber: c.ToNumber,
		CallerName: c.CallerName, StartedAt: c.StartedAt.In(loc), EndedAt: InZone(c.EndedAt, loc),
		EndedReason: c.EndedReason, RecordingStatus: c.RecordingStatus,
	}
	if c.DurationSeconds.Valid {
		out.DurationSeconds = &c.DurationSeconds.Int32
	}
	if c.Outcome.Valid {
		out.Outcome = &c.Outcome.String
	}
	if f, err := c.CostUsd.Float64Value(); err == nil && f.Valid {
		out.CostUSD = &f.Float64
	}
	return out
}

// InZone is t in loc, or nil.
func InZone(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	z := t.In(loc)
	return &z
}

func text(s string) pgtype.Text { return pgtype.Text{String: s, Valid: s != ""} }
