package demo

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"gocloud.dev/blob"

	"frontdesk"
	"frontdesk/internal/jobs"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/wallclock"
)

// RecordedCalls is how many of each demo clinic's latest calls get a
// recording.
const RecordedCalls = 3

// Recordings gives each demo clinic's latest ended calls a stored
// recording (a short generated tone, as real audio) and the booking its
// "booked" call made, so the dashboard's call page is whole.
func Recordings(ctx context.Context, admin *postgres.Admin, bucket *blob.Bucket, now time.Time) error {
	orgs, err := admin.ListOrgs(ctx)
	if err != nil {
		return err
	}
	audio := ToneWAV(3 * time.Second)
	sum := sha256.Sum256(audio)
	for _, o := range orgs {
		calls, err := admin.DemoCallsToRecord(ctx, db.DemoCallsToRecordParams{OrgID: o.ID, RowLimit: RecordedCalls})
		if err != nil {
			return err
		}
		booked := false
		for _, c := range calls {
			key := jobs.RecordingKey(o.ID, c.ID)
			if err := bucket.WriteAll(ctx, key, audio, &blob.WriterOptions{ContentType: "audio/wav"}); err != nil {
				return err
			}
			if err := admin.MarkRecordingStored(ctx, db.MarkRecordingStoredParams{OrgID: o.ID, ID: c.ID, RecordingKey: key,
				RecordingSize: pgtype.Int8{Int64: int64(len(audio)), Valid: true}, RecordingSha256: hex.EncodeToString(sum[:])}); err != nil {
				return err
			}
			if c.Outcome.String == "booked" && !booked {
				if err := book(ctx, admin, o.ID, o.Timezone, c, now); err != nil {
					return err
				}
				booked = true
			}
		}
	}
	return nil
}

// booked reads the service and time a demo call's summary says it booked
// ("Caller booked a cleaning for Friday 11 December at 10:30."): the
// demo's times before 8 are afternoon ones.
var bookedSummary = regexp.MustCompile(`booked an? (.+) for (\w+ \d+ \w+) at (\d+):(\d+)`)

// book makes the booking a demo call's summary tells of, with the
// clinic's first clinician.
func book(ctx context.Context, admin *postgres.Admin, org frontdesk.OrgID, tz string, c db.DemoCallsToRecordRow, now time.Time) error {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return err
	}
	svcs, err := admin.ListServices(ctx, org)
	if err != nil || len(svcs) == 0 {
		return err
	}
	res, err := admin.ListResources(ctx, org)
	if err != nil || len(res) == 0 {
		return err
	}
	m := bookedSummary.FindStringSubmatch(c.Summary)
	if m == nil {
		return nil
	}
	svc := svcs[0]
	for _, s := range svcs {
		if strings.EqualFold(s.Name, m[1]) {
			svc = s
		}
	}
	day, err := time.Parse("Monday 2 January 2006", m[2]+" "+strconv.Itoa(now.Year()))
	if err != nil {
		return nil
	}
	if day.Before(now.AddDate(0, 0, -1)) {
		day = day.AddDate(1, 0, 0)
	}
	h, _ := strconv.Atoi(m[3])
	mins, _ := strconv.Atoi(m[4])
	if h < 8 {
		h += 12
	}
	start, _ := wallclock.First(day.Year(), day.Month(), day.Day(), h*60+mins, loc)
	end := start.Add(time.Duration(svc.DurationMinutes) * time.Minute)
	name := c.CallerName
	if name == "" {
		name = "Demo Patient"
	}
	_, err = admin.InsertBooking(ctx, db.InsertBookingParams{OrgID: org, ResourceID: res[0].ID, ServiceID: svc.ID, Status: "confirmed",
		StartsAt: start, EndsAt: end, BlockedStart: start, BlockedEnd: end.Add(time.Duration(svc.BufferAfterMinutes) * time.Minute),
		PatientName: name, PatientPhone: c.FromNumber, Source: "agent", CallID: c.ID})
	return err
}

// ToneWAV is a WAV file (8 kHz, 16-bit mono) of two soft alternating notes.
func ToneWAV(d time.Duration) []byte {
	const rate = 8000
	n := int(d.Seconds() * rate)
	var pcm bytes.Buffer
	for i := range n {
		f := 440.0
		if (i/(rate/2))%2 == 1 {
			f = 554.37
		}
		v := int16(6000 * math.Sin(2*math.Pi*f*float64(i)/rate))
		_ = binary.Write(&pcm, binary.LittleEndian, v)
	}
	var w bytes.Buffer
	w.WriteString("RIFF")
	_ = binary.Write(&w, binary.LittleEndian, uint32(36+pcm.Len()))
	w.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(rate * 2), uint16(2), uint16(16)} {
		_ = binary.Write(&w, binary.LittleEndian, v) // PCM, mono, rate, byte rate, block align, bits
	}
	w.WriteString("data")
	_ = binary.Write(&w, binary.LittleEndian, uint32(pcm.Len()))
	w.Write(pcm.Bytes())
	return w.Bytes()
}
