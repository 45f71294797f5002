package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
	"frontdesk/internal/receptionist"
	"frontdesk/internal/scheduling"
)

// Password is every demo user's password.
const Password = "frontdesk-demo"

type clinicSpec struct {
	name, timezone, country, kind, number string
	services                              []serviceSpec
	clinicians                            []string
	articles                              [][2]string // title, body
	receptionist                          receptionistSpec
}

// receptionistSpec is what the demo clinic changed in its receptionist
// profile; the rest are the defaults.
type receptionistSpec struct {
	name, address, frontDesk, onCall, instructions string
}

type serviceSpec struct {
	name               string
	minutes, bufferMin int32
}

var clinics = []clinicSpec{
	{"Northside Dental", "America/New_York", "US", "dental", "+12125550100",
		[]serviceSpec{{"Cleaning", 30, 10}, {"Check-up", 20, 5}, {"Filling consultation", 30, 10}},
		[]string{"Dr. Amy Chen", "Dr. Raj Patel"},
		[][2]string{
			{"Parking", "Free parking is behind the building, entrance on Elm Street. Street parking is metered until 6 PM."},
			{"Insurance and payment", "We accept Delta Dental, Cigna, Aetna and MetLife. Payment plans are available for treatment over $500."},
			{"Cancellations", "Please cancel at least 24 hours ahead. Late cancellations may be charged a $50 fee."},
		},
		receptionistSpec{"Riley", "41 Elm Street, New York, NY 10013", "+12125550142", "+12125550199",
			"Offer new patients the Check-up first. For a dental emergency in the night, transfer to the dentist on call."}},
	{"Harbor Physio", "Europe/London", "GB", "physio", "+442079460000",
		[]serviceSpec{{"Initial assessment", 45, 15}, {"Follow-up session", 30, 10}, {"Sports massage", 60, 15}},
		[]string{"Tom Hughes", "Priya Shah"},
		[][2]string{
			{"Getting here", "We are on Quay Road, two minutes from Harbour station. The Quay car park gives two hours free with validation."},
			{"What to wear", "Wear loose, comfortable clothing, and shorts for knee or hip appointments."},
			{"Insurance", "We are recognised by Bupa, AXA Health and Vitality. Bring your authorisation number to your first visit."},
		},
		receptionistSpec{"Alex", "7 Quay Road, London SE10 9HT", "+442079460042", "",
			"Book new patients an Initial assessment before any Follow-up session."}},
}

type userSpec struct {
	email, name string
	roles       []frontdesk.Role // per clinic above; "" = not a member
}

var users = []userSpec{
	{"owner@northside.example", "Nadia Owens", []frontdesk.Role{frontdesk.RoleOwner, ""}},
	{"staff@northside.example", "Sam Reyes", []frontdesk.Role{frontdesk.RoleStaff, ""}},
	{"owner@harbor.example", "Harriet Bell", []frontdesk.Role{"", frontdesk.RoleOwner}},
	{"staff@harbor.example", "Owen Price", []frontdesk.Role{"", frontdesk.RoleStaff}},
	{"locum@frontdesk.example", "Lee Morgan", []frontdesk.Role{frontdesk.RoleAdmin, frontdesk.RoleStaff}},
}

// CallsPerClinic is how many calls each demo clinic starts with.
const CallsPerClinic = 50

// Seed loads the two demo clinics, their users and their calls, unless they
// are already there. It reports whether it loaded anything.
func Seed(ctx context.Context, admin *postgres.Admin, now time.Time) (bool, error) {
	if _, err := admin.UserByEmail(ctx, users[0].email); err == nil {
		return false, nil
	}
	hash, err := identity.HashPassword(Password)
	if err != nil {
		return false, err
	}
	r := rand.New(rand.NewPCG(uint64(now.UnixNano()), 7))
	err = admin.Tx(ctx, func(q *db.Queries) error {
		orgIDs := make([]frontdesk.OrgID, len(clinics))
		for i, c := range clinics {
			id, err := q.CreateOrg(ctx, db.CreateOrgParams{Name: c.name, Timezone: c.timezone, Country: c.country})
			if err != nil {
				return err
			}
			orgIDs[i] = id
			rows := make([]db.InsertCallsParams, CallsPerClinic)
			for j := range rows {
				at := now.Add(-time.Duration(r.Int64N(int64(30 * 24 * time.Hour))))
				if j < 2 {
					at = now.Add(-time.Duration(j+1) * time.Minute) // calls under way
				}
				rows[j] = call(r, id, c.name, c.kind, c.number, c.country, at, now)
			}
			if _, err := q.InsertCalls(ctx, rows); err != nil {
				return fmt.Errorf("insert calls: %w", err)
			}
			if err := seedCalendar(ctx, q, id, c); err != nil {
				return err
			}
			if err := seedReceptionist(ctx, q, frontdesk.Clinic{ID: id, Name: c.name}, c); err != nil {
				return err
			}
		}
		for _, u := range users {
			id, err := q.CreateUser(ctx, db.CreateUserParams{Email: u.email, Name: u.name, PasswordHash: text(hash)})
			if err != nil {
				return err
			}
			for i, role := range u.roles {
				if role != "" {
					if err := q.AddMember(ctx, db.AddMemberParams{OrgID: orgIDs[i], UserID: id, Role: string(role)}); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
	return err == nil, err
}

// Facts is what frontdesk dev prints and writes to demo.json.
type Facts struct {
	BaseURL string    `json:"base_url"`
	Orgs    []OrgFact `json:"orgs"`
}

type OrgFact struct {
	ID      frontdesk.OrgID    `json:"id"`
	Name    string             `json:"name"`
	Users   []UserFact         `json:"users"`
	CallIDs []frontdesk.CallID `json:"call_ids"`
}

type UserFact struct {
	ID       frontdesk.UserID `json:"id"`
	Email    string           `json:"email"`
	Password string           `json:"password"`
	Role     frontdesk.Role   `json:"role"`
	Token    string           `json:"token"`
}

// Describe reads the demo clinics back and issues each demo user a token for
// each of its clinics.
func Describe(ctx context.Context, admin *postgres.Admin, issuer *identity.Issuer, baseURL string, ttl time.Duration) (Facts, error) {
	f := Facts{BaseURL: baseURL}
	byOrg := map[frontdesk.OrgID]int{}
	for _, u := range users {
		row, err := admin.UserByEmail(ctx, u.email)
		if err != nil {
			return f, fmt.Errorf("demo user %s: %w", u.email, err)
		}
		orgs, err := admin.OrgsOfUser(ctx, row.ID)
		if err != nil {
			return f, err
		}
		for _, o := range orgs {
			i, ok := byOrg[o.ID]
			if !ok {
				i = len(f.Orgs)
				byOrg[o.ID] = i
				f.Orgs = append(f.Orgs, OrgFact{ID: o.ID, Name: o.Name})
			}
			token, err := issuer.Issue(row.ID, o.ID, ttl)
			if err != nil {
				return f, err
			}
			f.Orgs[i].Users = append(f.Orgs[i].Users, UserFact{ID: row.ID, Email: u.email, Password: Password,
				Role: frontdesk.Role(o.Role), Token: token})
		}
	}
	if len(f.Orgs) == 0 {
		return f, errors.New("no demo clinics found")
	}
	for i := range f.Orgs {
		ids, err := admin.RecentCallIDs(ctx, db.RecentCallIDsParams{OrgID: f.Orgs[i].ID, RowLimit: 1000})
		if err != nil {
			return f, err
		}
		f.Orgs[i].CallIDs = ids
	}
	return f, nil
}

// seedCalendar gives a demo clinic its services, clinicians, weekday hours
// (9:00-12:30 and 13:30-17:00, Monday to Friday) and knowledge base.
func seedCalendar(ctx context.Context, q *db.Queries, org frontdesk.OrgID, c clinicSpec) error {
	var services []frontdesk.ServiceID
	for _, s := range c.services {
		id, err := q.CreateService(ctx, db.CreateServiceParams{OrgID: org, Name: s.name, DurationMinutes: s.minutes,
			BufferAfterMinutes: s.bufferMin, Active: true})
		if err != nil {
			return err
		}
		services = append(services, id)
	}
	for _, name := range c.clinicians {
		id, err := q.CreateResource(ctx, db.CreateResourceParams{OrgID: org, Name: name, Kind: "clinician", Active: true})
		if err != nil {
			return err
		}
		for _, s := range services {
			if err := q.AddResourceService(ctx, db.AddResourceServiceParams{OrgID: org, ResourceID: id, ServiceID: s}); err != nil {
				return err
			}
		}
	}
	clock := func(h, m int) pgtype.Time { return scheduling.Clock(h*60 + m).PG() }
	for day := int16(1); day <= 5; day++ {
		for _, r := range [][2]pgtype.Time{{clock(9, 0), clock(12, 30)}, {clock(13, 30), clock(17, 0)}} {
			if err := q.AddOpeningHours(ctx, db.AddOpeningHoursParams{OrgID: org, Weekday: day, Opens: r[0], Closes: r[1]}); err != nil {
				return err
			}
		}
	}
	for _, a := range c.articles {
		if _, err := q.CreateKnowledge(ctx, db.CreateKnowledgeParams{OrgID: org, Title: a[0], Body: a[1], Active: true}); err != nil {
			return err
		}
	}
	return nil
}

// seedReceptionist routes the demo clinic's number to it and gives it a
// receptionist profile of its own.
func seedReceptionist(ctx context.Context, q *db.Queries, clinic frontdesk.Clinic, c clinicSpec) error {
	if err := q.AddVoiceRoute(ctx, db.AddVoiceRouteParams{OrgID: clinic.ID, Kind: "phone_number", Value: c.number}); err != nil {
		return err
	}
	p := receptionist.Defaults(clinic)
	r := c.receptionist
	p.AssistantName, p.Address, p.FrontDeskNumber, p.OnCallNumber, p.Instructions = r.name, r.address, r.frontDesk, r.onCall, r.instructions
	p.Greeting = "Thank you for calling " + c.name + ", this is " + r.name + ". How can I help you today?"
	if c.country == "GB" {
		p.Languages, p.Tone = []string{"en-GB"}, "concise"
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return q.SaveReceptionistProfile(ctx, db.SaveReceptionistProfileParams{OrgID: clinic.ID, Profile: raw})
}
