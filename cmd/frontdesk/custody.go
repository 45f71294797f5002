package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"frontdesk"
	"frontdesk/internal/access"
	"frontdesk/internal/app"
)

// Commands over one clinic's patients' data, run by the operator through
// the domain services as the app role: each read is in the access log
// under the command's name and the operating system's user.

// withServices parses a clinic command's flags (--org included, required
// unless optional), opens the services, and runs fn with the clinic (zero
// when none was given) and a context naming the operator for the access
// log.
func withServices(ctx context.Context, env *environment, name string, args []string, orgOptional bool,
	extra func(fs *flag.FlagSet), fn func(ctx context.Context, a *app.App, org frontdesk.OrgID) error) error {
	fs, c := env.flags(name, "")
	env.jobFlags(fs, c) // the pool, the secret key, recordings' storage
	var org string
	fs.StringVar(&org, "org", "", "organization id (required)")
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0))
	}
	var orgID frontdesk.OrgID
	if org != "" || !orgOptional {
		var err error
		if orgID, err = frontdesk.ParseOrgID(org); err != nil {
			return fmt.Errorf("--org: %w", err)
		}
	}
	d, err := c.open(ctx, env)
	if err != nil {
		return err
	}
	defer d.close()
	store, err := openStore(ctx, d.appURL, c.pool)
	if err != nil {
		return err
	}
	defer store.Close()
	box, err := c.secretBox(false)
	if err != nil {
		return err
	}
	if err := checkSecretKey(ctx, store, box, nil); err != nil {
		return err
	}
	bucket, err := c.bucket(ctx, false)
	if err != nil {
		return err
	}
	defer bucket.Close()
	services := app.New(app.Config{Store: store, Secrets: box, Bucket: bucket, Log: c.logger(env)})
	operator := "frontdesk " + name
	if u, err := user.Current(); err == nil {
		operator += " (" + u.Username + ")"
	}
	return fn(access.By(ctx, access.CLI, "", operator), services, orgID)
}

func cmdAccessLog(ctx context.Context, env *environment, args []string) error {
	var since time.Duration
	var phone, who string
	return withServices(ctx, env, "access-log", args, false, func(fs *flag.FlagSet) {
		fs.DurationVar(&since, "since", 30*24*time.Hour, "how far back to look")
		fs.StringVar(&phone, "phone", "", "only this patient's number")
		fs.StringVar(&who, "user", "", "only this person's reads (email)")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		from := time.Now().Add(-since).Format(time.DateOnly)
		entries, err := a.Access.List(ctx, org, access.Filter{From: from, Phone: phone, User: who})
		if err != nil {
			return err
		}
		if len(entries) == 0 {
			fmt.Fprintln(env.stdout, "no reads of patients' data")
			return nil
		}
		tw := tabwriter.NewWriter(env.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tWHO\tWHAT\tVIA\tCALL\tPATIENT\tADDR")
		for _, e := range entries {
			call := "-"
			if e.CallID != nil {
				call = e.CallID.String()
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.At.Format(time.RFC3339), e.User, e.What, e.Via, call, e.PatientKey, e.RemoteAddr)
		}
		return tw.Flush()
	})
}

func cmdPatientExport(ctx context.Context, env *environment, args []string) error {
	var phone, out string
	return withServices(ctx, env, "patient export", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&phone, "phone", "", "the patient's phone number (required)")
		fs.StringVar(&out, "out", "", "the zip file to write (required)")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		if phone == "" || out == "" {
			return fmt.Errorf("--phone and --out are required")
		}
		return writeNew(env, out, func(w io.Writer) error { return a.Patients.Export(ctx, org, phone, w) })
	})
}

func cmdPatientErase(ctx context.Context, env *environment, args []string) error {
	var phone, confirm string
	return withServices(ctx, env, "patient erase", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&phone, "phone", "", "the patient's phone number (required)")
		fs.StringVar(&confirm, "confirm", "", "the same number again, to confirm (required)")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		out, err := a.Patients.Erase(ctx, org, phone, confirm)
		if err != nil {
			return err
		}
		if out.Already {
			fmt.Fprintf(env.stdout, "already erased (%s): nothing left\n", out.PatientKey)
			return nil
		}
		fmt.Fprintf(env.stdout, "erased %s: %d calls, %d recordings, %d bookings (%d upcoming cancelled), %d texts\n",
			out.PatientKey, out.Calls, out.Recordings, out.Bookings, out.Cancelled, out.Texts)
		return nil
	})
}

func cmdRetention(ctx context.Context, env *environment, args []string) error {
	var dryRun bool
	return withServices(ctx, env, "retention", args, true, func(fs *flag.FlagSet) {
		fs.BoolVar(&dryRun, "dry-run", false, "print what would be removed, and remove nothing")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		orgs := []frontdesk.OrgID{org}
		if org.IsZero() {
			var err error
			if orgs, err = a.Retention.Clinics(ctx); err != nil {
				return err
			}
		}
		verb := "removed"
		if dryRun {
			verb = "would remove"
		}
		for _, o := range orgs {
			r, err := a.Retention.Sweep(ctx, o, !dryRun)
			if err != nil {
				return fmt.Errorf("clinic %s: %w", o, err)
			}
			fmt.Fprintf(env.stdout, "%s %s %s\n", o, verb, r)
		}
		return nil
	})
}

// writeNew writes a file that must not exist yet (--out), with what
// write writes; a failed write leaves no file behind.
func writeNew(env *environment, out string, write func(io.Writer) error) error {
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(out)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "wrote %s\n", out)
	return nil
}
