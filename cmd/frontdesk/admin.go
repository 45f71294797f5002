package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"frontdesk"
	"frontdesk/internal/demo"
	"frontdesk/internal/identity"
	"frontdesk/internal/postgres"
	"frontdesk/internal/postgres/db"
)

// withAdmin parses flags, opens the owner connection (starting the embedded
// cluster if no URL is configured) and runs fn.
func withAdmin(ctx context.Context, env *environment, name, argsUsage string, args []string,
	extra func(fs *flag.FlagSet, c *config), fn func(admin *postgres.Admin, c *config) error) error {
	fs, c := env.flags(name, argsUsage)
	if extra != nil {
		extra(fs, c)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	d, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer d.close()
	admin, err := d.admin(ctx)
	if err != nil {
		return err
	}
	defer admin.Close()
	return fn(admin, c)
}

func cmdMigrate(ctx context.Context, env *environment, args []string) error {
	fs, c := env.flags("migrate", "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.embedded() {
		d, err := c.open(ctx, env) // migrates
		if err != nil {
			return err
		}
		d.close()
	} else {
		if c.migrateURL == "" {
			return errors.New("set FRONTDESK_MIGRATE_DATABASE_URL (the owner role)")
		}
		applied, err := postgres.Migrate(ctx, c.migrateURL)
		for _, m := range applied {
			fmt.Fprintf(env.stderr, "applied migration %s\n", m)
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "database is at migration %d\n", postgres.LatestVersion())
	return nil
}

func cmdDemo(ctx context.Context, env *environment, args []string) error {
	var orgs, calls int
	var seed uint64
	return withAdmin(ctx, env, "demo", "", args, func(fs *flag.FlagSet, c *config) {
		fs.IntVar(&orgs, "orgs", 10, "number of clinics to create")
		fs.IntVar(&calls, "calls", 10_000, "number of calls to spread among them (the first clinic gets 20%)")
		fs.Uint64Var(&seed, "seed", uint64(time.Now().UnixNano()), "random seed")
	}, func(admin *postgres.Admin, c *config) error {
		start := time.Now()
		made, err := demo.Bulk(ctx, admin, orgs, calls, seed, func(done, total int) {
			if done == total || done%100 == 0 {
				fmt.Fprintf(env.stderr, "\r%d/%d clinics", done, total)
			}
		})
		fmt.Fprintln(env.stderr)
		if err != nil {
			return err
		}
		last := made[len(made)-1]
		fmt.Fprintf(env.stdout, "created %d clinics and %d calls in %s\n", len(made), calls, time.Since(start).Round(time.Second))
		fmt.Fprintf(env.stdout, "largest: %s (%s, %d calls), owner %s\n", made[0].ID, made[0].Name, made[0].Calls, made[0].Email)
		fmt.Fprintf(env.stdout, "smallest: %s (%s, %d calls), owner %s\n", last.ID, last.Name, last.Calls, last.Email)
		fmt.Fprintf(env.stdout, "password for all: %s; `frontdesk token --user EMAIL` prints a token\n", demo.Password)
		return nil
	})
}

func cmdOrgCreate(ctx context.Context, env *environment, args []string) error {
	var name, tz, country string
	return withAdmin(ctx, env, "org create", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&name, "name", "", "clinic name (required)")
		fs.StringVar(&tz, "timezone", "", "IANA time zone, e.g. America/New_York (required)")
		fs.StringVar(&country, "country", "US", "ISO 3166 country, for reading local phone numbers")
	}, func(admin *postgres.Admin, c *config) error {
		if strings.TrimSpace(name) == "" {
			return errors.New("--name is required")
		}
		if tz == "" || tz == "Local" {
			return errors.New("--timezone is required (an IANA name such as Europe/London)")
		}
		if _, err := time.LoadLocation(tz); err != nil {
			return fmt.Errorf("--timezone %q is not an IANA time zone", tz)
		}
		country = strings.ToUpper(country)
		if len(country) != 2 {
			return fmt.Errorf("--country %q is not a two-letter country code", country)
		}
		id, err := admin.CreateOrg(ctx, db.CreateOrgParams{Name: strings.TrimSpace(name), Timezone: tz, Country: country})
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, id)
		return nil
	})
}

func cmdUserCreate(ctx context.Context, env *environment, args []string) error {
	var email, name, password string
	return withAdmin(ctx, env, "user create", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&email, "email", "", "email address (required)")
		fs.StringVar(&name, "name", "", "display name")
		fs.StringVar(&password, "password", "", "password (at least 8 characters); without it, a one-time password is generated, printed, and must be changed at first sign-in")
	}, func(admin *postgres.Admin, c *config) error {
		email, err := emailFlag(email)
		if err != nil {
			return err
		}
		generated := password == ""
		if generated {
			password = identity.OneTimePassword()
		}
		hash, err := identity.HashPassword(password)
		if err != nil {
			return fmt.Errorf("--password: %w", err)
		}
		p := db.CreateUserParams{Email: email, Name: name}
		p.PasswordHash.String, p.PasswordHash.Valid = hash, true
		id, err := admin.CreateUser(ctx, p)
		if err != nil {
			if errors.Is(err, frontdesk.ErrConflict) {
				return fmt.Errorf("a user with email %s already exists", email)
			}
			return err
		}
		if generated {
			if _, err := admin.SetUserPassword(ctx, db.SetUserPasswordParams{Email: email, PasswordHash: pgtype.Text{String: hash, Valid: true}, MustChange: true}); err != nil {
				return err
			}
			fmt.Fprintf(env.stdout, "%s\none-time password (to be changed at first sign-in): %s\n", id, password)
			return nil
		}
		fmt.Fprintln(env.stdout, id)
		return nil
	})
}

func cmdMemberAdd(ctx context.Context, env *environment, args []string) error {
	var org, user, role string
	return withAdmin(ctx, env, "member add", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&org, "org", "", "organization id (required)")
		fs.StringVar(&user, "user", "", "user id or email (required)")
		fs.StringVar(&role, "role", "staff", "owner, admin or staff")
	}, func(admin *postgres.Admin, c *config) error {
		orgID, err := frontdesk.ParseOrgID(org)
		if err != nil {
			return fmt.Errorf("--org: %w", err)
		}
		r, err := frontdesk.ParseRole(role)
		if err != nil {
			return fmt.Errorf("--role: %w", err)
		}
		if ok, err := admin.OrgExists(ctx, orgID); err != nil || !ok {
			return fmt.Errorf("--org: no organization %s", orgID)
		}
		userID, err := lookupUser(ctx, admin, user)
		if err != nil {
			return err
		}
		if err := admin.AddMember(ctx, db.AddMemberParams{OrgID: orgID, UserID: userID, Role: string(r)}); err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "%s is %s of %s\n", user, r, orgID)
		return nil
	})
}

func cmdToken(ctx context.Context, env *environment, args []string) error {
	var user, org string
	var ttl time.Duration
	return withAdmin(ctx, env, "token", "", args, func(fs *flag.FlagSet, c *config) {
		env.keyFlags(fs, c)
		fs.StringVar(&user, "user", "", "user id or email (required)")
		fs.StringVar(&org, "org", "", "organization the token acts for by default (app_metadata.org_id)")
		fs.DurationVar(&ttl, "ttl", 12*time.Hour, "lifetime")
	}, func(admin *postgres.Admin, c *config) error {
		userID, err := lookupUser(ctx, admin, user)
		if err != nil {
			return err
		}
		var orgID frontdesk.OrgID
		if org != "" {
			if orgID, err = frontdesk.ParseOrgID(org); err != nil {
				return fmt.Errorf("--org: %w", err)
			}
		}
		issuer, _, err := c.signingKey(false)
		if err != nil {
			return err
		}
		token, err := issuer.Issue(userID, orgID, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintln(env.stdout, token)
		return nil
	})
}

func cmdAudit(ctx context.Context, env *environment, args []string) error {
	var since time.Duration
	var limit int
	return withAdmin(ctx, env, "audit", "", args, func(fs *flag.FlagSet, c *config) {
		fs.DurationVar(&since, "since", 7*24*time.Hour, "how far back to look")
		fs.IntVar(&limit, "limit", 100, "at most this many events")
	}, func(admin *postgres.Admin, c *config) error {
		rows, err := admin.ListAuditEvents(ctx, db.ListAuditEventsParams{Since: time.Now().Add(-since), RowLimit: int32(limit)})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			fmt.Fprintln(env.stdout, "no audit events")
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tORG\tUSER\tACTION\tRESOURCE\tCROSS-TENANT\tREQUEST\tADDR")
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s/%s\t%v\t%s\t%s\n", r.OccurredAt.UTC().Format(time.RFC3339), r.OrgName,
				r.UserEmail, r.Action, r.ResourceType, r.ResourceID, r.CrossTenant, r.RequestID, r.RemoteAddr)
		}
		return tw.Flush()
	})
}

func lookupUser(ctx context.Context, admin *postgres.Admin, user string) (frontdesk.UserID, error) {
	if user == "" {
		return frontdesk.UserID{}, errors.New("--user is required")
	}
	if id, err := frontdesk.ParseUserID(user); err == nil {
		return id, nil
	}
	row, err := admin.UserByEmail(ctx, user)
	if err != nil {
		return frontdesk.UserID{}, fmt.Errorf("--user: no user %s", user)
	}
	return row.ID, nil
}

func cmdLoginUnlock(ctx context.Context, env *environment, args []string) error {
	var email string
	return withAdmin(ctx, env, "login unlock", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&email, "email", "", "the account's email address (required)")
	}, func(admin *postgres.Admin, c *config) error {
		email, err := emailFlag(email)
		if err != nil {
			return err
		}
		n, err := admin.UnlockLogin(ctx, email)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "unlocked %s (%d failure counters cleared)\n", email, n)
		return nil
	})
}

func cmdUserList(ctx context.Context, env *environment, args []string) error {
	return withAdmin(ctx, env, "user list", "", args, nil, func(admin *postgres.Admin, c *config) error {
		users, err := admin.ListUsers(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tPASSWORD\tCLINICS")
		for _, u := range users {
			pw := "none (external sign-in)"
			switch {
			case u.MustChangePassword:
				pw = "one-time"
			case u.HasPassword:
				pw = "set"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Name, pw, u.Clinics)
		}
		return tw.Flush()
	})
}

func cmdUserSetPassword(ctx context.Context, env *environment, args []string) error {
	var email, password string
	return withAdmin(ctx, env, "user set-password", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&email, "email", "", "the user's email address (required)")
		fs.StringVar(&password, "password", "", "the new password; without it, a one-time password is generated, printed, and must be changed at the next sign-in")
	}, func(admin *postgres.Admin, c *config) error {
		email, err := emailFlag(email)
		if err != nil {
			return err
		}
		generated := password == ""
		if generated {
			password = identity.OneTimePassword()
		}
		hash, err := identity.HashPassword(password)
		if err != nil {
			return fmt.Errorf("--password: %w", err)
		}
		n, err := admin.SetUserPassword(ctx, db.SetUserPasswordParams{Email: email, PasswordHash: pgtype.Text{String: hash, Valid: true}, MustChange: generated})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("--email: no user %s", email)
		}
		if generated {
			fmt.Fprintf(env.stdout, "one-time password (to be changed at the next sign-in): %s\n", password)
		} else {
			fmt.Fprintf(env.stdout, "password set for %s\n", email)
		}
		return nil
	})
}

func cmdOrgList(ctx context.Context, env *environment, args []string) error {
	return withAdmin(ctx, env, "org list", "", args, nil, func(admin *postgres.Admin, c *config) error {
		orgs, err := admin.ListOrgs(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tTIME ZONE\tCOUNTRY\tSTATUS\tMEMBERS")
		for _, o := range orgs {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", o.ID, o.Name, o.Timezone, o.Country, o.Status, o.Members)
		}
		return tw.Flush()
	})
}

func cmdMemberList(ctx context.Context, env *environment, args []string) error {
	var org string
	return withAdmin(ctx, env, "member list", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&org, "org", "", "organization id (required)")
	}, func(admin *postgres.Admin, c *config) error {
		orgID, err := frontdesk.ParseOrgID(org)
		if err != nil {
			return fmt.Errorf("--org: %w", err)
		}
		members, err := admin.ListMembers(ctx, orgID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "USER\tEMAIL\tNAME\tROLE")
		for _, m := range members {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Name, m.Role)
		}
		return tw.Flush()
	})
}

func cmdMemberRemove(ctx context.Context, env *environment, args []string) error {
	var org, user string
	return withAdmin(ctx, env, "member remove", "", args, func(fs *flag.FlagSet, c *config) {
		fs.StringVar(&org, "org", "", "organization id (required)")
		fs.StringVar(&user, "user", "", "user id or email (required)")
	}, func(admin *postgres.Admin, c *config) error {
		orgID, err := frontdesk.ParseOrgID(org)
		if err != nil {
			return fmt.Errorf("--org: %w", err)
		}
		userID, err := lookupUser(ctx, admin, user)
		if err != nil {
			return err
		}
		n, err := admin.RemoveMember(ctx, db.RemoveMemberParams{OrgID: orgID, UserID: userID})
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("%s is not a member of %s", user, orgID)
		}
		fmt.Fprintf(env.stdout, "removed %s from %s\n", user, orgID)
		return nil
	})
}

// emailFlag reads --email: required, an address, in lower case.
func emailFlag(v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if !strings.Contains(v, "@") {
		return "", errors.New("--email is required and must be an email address")
	}
	return v, nil
}
