package testkit

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres/db"
)

// Password is every test user's password.
const Password = "correct horse battery"

// Clinic is one test clinic and what was put in it.
type Clinic struct {
	ID   frontdesk.OrgID
	Name string
	// Owner and Staff belong to this clinic only.
	Owner, Staff User
	Calls        []Call
}

// User is a test user.
type User struct {
	ID    frontdesk.UserID
	Email string
}

// Call is a test call, with the values tests search for.
type Call struct {
	ID         frontdesk.CallID
	Direction  string
	Status     string
	FromNumber string
	CallerName string
	StartedAt  time.Time
	Transcript string
}

// World is two clinics with calls, and a user who belongs to both.
type World struct {
	A, B Clinic
	// Both is staff at A and admin at B.
	Both User
	// Outsider belongs to no clinic.
	Outsider User
}

// TwoClinics fills d with clinic A (New York, 6 calls) and clinic B
// (London, 4 calls), each with an owner and a staff user, one user in both,
// and one user in neither. Every value (names, numbers, transcripts) is
// distinct per clinic, so a test can search a response for the other
// clinic's data.
func TwoClinics(t testing.TB, d *DB) World {
	t.Helper()
	ctx := context.Background()
	hash, err := identity.HashPassword(Password)
	if err != nil {
		t.Fatal(err)
	}
	user := func(email string) User {
		id, err := d.Admin.CreateUser(ctx, db.CreateUserParams{Email: email, Name: email, PasswordHash: pgtype.Text{String: hash, Valid: true}})
		if err != nil {
			t.Fatal(err)
		}
		return User{ID: id, Email: email}
	}
	member := func(org frontdesk.OrgID, u User, role frontdesk.Role) {
		if err := d.Admin.AddMember(ctx, db.AddMemberParams{OrgID: org, UserID: u.ID, Role: string(role)}); err != nil {
			t.Fatal(err)
		}
	}
	clinic := func(tag, name, tz, country, number string, calls int) Clinic {
		id, err := d.Admin.CreateOrg(ctx, db.CreateOrgParams{Name: name, Timezone: tz, Country: country})
		if err != nil {
			t.Fatal(err)
		}
		c := Clinic{ID: id, Name: name, Owner: user("owner@" + tag + ".test"), Staff: user("staff@" + tag + ".test")}
		member(id, c.Owner, frontdesk.RoleOwner)
		member(id, c.Staff, frontdesk.RoleStaff)
		base := time.Date(2026, 3, 10, 15, 0, 0, 0, time.UTC)
		for i := range calls {
			c.Calls = append(c.Calls, AddCall(t, d, id, Call{
				Direction:  []string{"inbound", "inbound", "outbound"}[i%3],
				Status:     []string{"ended", "ended", "in-progress"}[i%3],
				FromNumber: fmt.Sprintf("%s%02d", number, i),
				CallerName: fmt.Sprintf("%s Caller %d", tag, i),
				StartedAt:  base.Add(-time.Duration(i) * time.Hour),
				Transcript: fmt.Sprintf("transcript-of-%s-%d", tag, i),
			}))
			last := c.Calls[len(c.Calls)-1]
			Sensitive(last.CallerName, last.Transcript, last.FromNumber)
		}
		return c
	}
	Sensitive(Password)
	w := World{
		A: clinic("alpha", "Alpha Dental", "America/New_York", "US", "+121255501", 6),
		B: clinic("bravo", "Bravo Physio", "Europe/London", "GB", "+4420794600", 4),
	}
	w.Both = user("both@clinics.test")
	member(w.A.ID, w.Both, frontdesk.RoleStaff)
	member(w.B.ID, w.Both, frontdesk.RoleAdmin)
	w.Outsider = user("outsider@nowhere.test")
	return w
}

// AddCall inserts c into org as the owner and returns it with its id.
func AddCall(t testing.TB, d *DB, org frontdesk.OrgID, c Call) Call {
	t.Helper()
	c.ID = frontdesk.NewCallID()
	p := db.InsertCallsParams{
		OrgID: org, ID: c.ID, Provider: "vapi", ProviderCallID: pgtype.Text{String: "test-" + c.ID.String(), Valid: true},
		Direction: c.Direction, Status: c.Status, FromNumber: c.FromNumber, ToNumber: "+15550000000",
		CallerName: c.CallerName, StartedAt: c.StartedAt, Transcript: c.Transcript, RecordingStatus: "none",
		Summary: "summary of " + c.Transcript,
	}
	if c.Status == "ended" {
		end := c.StartedAt.Add(90 * time.Second)
		p.EndedAt, p.DurationSeconds = &end, pgtype.Int4{Int32: 90, Valid: true}
	}
	if _, err := d.Admin.InsertCalls(context.Background(), []db.InsertCallsParams{p}); err != nil {
		t.Fatal(err)
	}
	return c
}
