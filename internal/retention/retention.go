// Package retention is how long each clinic keeps each kind of health
// data (recordings, transcripts and summaries, text bodies, the access
// log), the sweep that removes what is older, and the redaction of card
// and social security numbers before transcripts are stored.
package retention

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"frontdesk"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// MinAccessLogDays is the least a clinic may keep its access log: six
// years.
const MinAccessLogDays = 2192

// maxDays is the longest any retention may be set (100 years).
const maxDays = 36500

// Settings are a clinic's retention periods in days (null keeps that kind
// for ever) and whether identifiers are redacted from transcripts.
type Settings struct {
	RecordingDays  *int32 `json:"recording_days"`
	TranscriptDays *int32 `json:"transcript_days"`
	TextDays       *int32 `json:"text_days"`
	AccessLogDays  int32  `json:"access_log_days"`
	// Redact removes card numbers and US social security numbers from
	// transcripts and summaries before they are stored.
	Redact bool `json:"redact_identifiers"`
}

func (v Settings) validate() error {
	for _, f := range []struct {
		name string
		days *int32
	}{{"recording_days", v.RecordingDays}, {"transcript_days", v.TranscriptDays}, {"text_days", v.TextDays}} {
		if f.days != nil && (*f.days < 1 || *f.days > maxDays) {
			return frontdesk.Invalid(f.name, "must be from 1 to %d days, or null to keep them", maxDays)
		}
	}
	if v.AccessLogDays < MinAccessLogDays || v.AccessLogDays > maxDays {
		return frontdesk.Invalid("access_log_days", "must be from %d (six years, the least allowed) to %d days", MinAccessLogDays, maxDays)
	}
	return nil
}

// Service keeps and enforces the settings.
type Service struct {
	store  *postgres.Store
	bucket *blob.Bucket
}

// NewService returns the retention service; bucket holds the recordings.
func NewService(store *postgres.Store, bucket *blob.Bucket) *Service {
	return &Service{store: store, bucket: bucket}
}

// Settings reads the clinic's retention.
func (s *Service) Settings(ctx context.Context, org frontdesk.OrgID) (Settings, error) {
	var out Settings
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		r, err := tx.RetentionSettings(ctx, org)
		out = settingsOf(r)
		return err
	})
	return out, err
}

func settingsOf(r db.RetentionSettingsRow) Settings {
	days := func(v pgtype.Int4) *int32 {
		if !v.Valid {
			return nil
		}
		return &v.Int32
	}
	return Settings{RecordingDays: days(r.RecordingRetentionDays), TranscriptDays: days(r.TranscriptRetentionDays),
		TextDays: days(r.TextRetentionDays), AccessLogDays: r.AccessLogRetentionDays, Redact: r.RedactIdentifiers}
}

// SetSettings replaces the clinic's retention; an access-log period left
// out (0) is the minimum.
func (s *Service) SetSettings(ctx context.Context, org frontdesk.OrgID, in Settings) (Settings, error) {
	if in.AccessLogDays == 0 {
		in.AccessLogDays = MinAccessLogDays
	}
	if err := in.validate(); err != nil {
		return in, err
	}
	days := func(v *int32) pgtype.Int4 {
		if v == nil {
			return pgtype.Int4{}
		}
		return pgtype.Int4{Int32: *v, Valid: true}
	}
	return in, s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		return tx.SetRetentionSettings(ctx, db.SetRetentionSettingsParams{ID: org, RecordingDays: days(in.RecordingDays),
			TranscriptDays: days(in.TranscriptDays), TextDays: days(in.TextDays), AccessLogDays: in.AccessLogDays, Redact: in.Redact})
	})
}

// Clinics are the clinics a sweep visits: every active one.
func (s *Service) Clinics(ctx context.Context) ([]frontdesk.OrgID, error) {
	return s.store.SweepOrgs(ctx)
}

// Report is what a sweep removed (or, not applied, would remove).
type Report struct {
	Recordings  int64 `json:"recordings"`
	Transcripts int64 `json:"transcripts"`
	Texts       int64 `json:"texts"`
	AccessLog   int64 `json:"access_log_rows"`
}

func (r Report) String() string {
	return fmt.Sprintf("%d recordings, %d transcripts and summaries, %d text bodies, %d access-log rows", r.Recordings, r.Transcripts, r.Texts, r.AccessLog)
}

// Sweep removes what the clinic keeps longer than its settings allow:
// recordings (deleted from storage, with no transaction open, then marked
// deleted), transcripts and summaries (with the tool calls of those
// calls), text bodies, and access-log rows. With apply false it only
// counts them.
func (s *Service) Sweep(ctx context.Context, org frontdesk.OrgID, apply bool) (Report, error) {
	var (
		out Report
		set Settings
	)
	now := time.Now()
	before := func(days *int32) time.Time { return now.Add(-time.Duration(*days) * 24 * time.Hour) }
	err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
		r, err := tx.RetentionSettings(ctx, org)
		if err != nil {
			return err
		}
		set = settingsOf(r)
		if !apply && set.RecordingDays != nil {
			if out.Recordings, err = tx.CountExpiredRecordings(ctx, db.CountExpiredRecordingsParams{OrgID: org, Before: before(set.RecordingDays)}); err != nil {
				return err
			}
		}
		if set.TranscriptDays != nil {
			p := before(set.TranscriptDays)
			if !apply {
				out.Transcripts, err = tx.CountExpiredTranscripts(ctx, db.CountExpiredTranscriptsParams{OrgID: org, Before: p})
			} else if out.Transcripts, err = tx.ExpireTranscripts(ctx, db.ExpireTranscriptsParams{OrgID: org, Before: p}); err == nil {
				err = tx.ExpireToolCalls(ctx, db.ExpireToolCallsParams{OrgID: org, Before: p})
			}
			if err != nil {
				return err
			}
		}
		if set.TextDays != nil {
			p := before(set.TextDays)
			if !apply {
				out.Texts, err = tx.CountExpiredTexts(ctx, db.CountExpiredTextsParams{OrgID: org, Before: p})
			} else {
				var sent, got int64
				if sent, err = tx.ExpireSentTexts(ctx, db.ExpireSentTextsParams{OrgID: org, Before: p}); err == nil {
					got, err = tx.ExpireReceivedTexts(ctx, db.ExpireReceivedTextsParams{OrgID: org, Before: p})
				}
				out.Texts = sent + got
			}
			if err != nil {
				return err
			}
		}
		out.AccessLog, err = tx.ExpireAccessLog(ctx, apply)
		return err
	})
	if err != nil || !apply || set.RecordingDays == nil {
		return out, err
	}
	for {
		var page []db.ExpiredRecordingsRow
		err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) (err error) {
			page, err = tx.ExpiredRecordings(ctx, db.ExpiredRecordingsParams{OrgID: org, Before: before(set.RecordingDays)})
			return err
		})
		if err != nil {
			return out, err
		}
		for _, r := range page {
			if err := s.bucket.Delete(ctx, r.RecordingKey); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
				return out, fmt.Errorf("delete an expired recording: %w", err)
			}
			if err := s.store.InTenant(ctx, org, func(tx *postgres.Tx) error {
				return tx.MarkRecordingDeleted(ctx, db.MarkRecordingDeletedParams{OrgID: org, ID: r.ID})
			}); err != nil {
				return out, err
			}
			out.Recordings++
		}
		if len(page) < 1000 {
			return out, nil
		}
	}
}
