package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"

	"frontdesk"
	"frontdesk/internal/app"
	"frontdesk/internal/contacts"
)

func cmdContactsImport(ctx context.Context, env *environment, args []string) error {
	var file string
	var dryRun bool
	return withServices(ctx, env, "contacts import", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&file, "file", "", "the CSV file (required; the first row names the columns)")
		fs.BoolVar(&dryRun, "dry-run", false, "say what each row would do, and change nothing")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		if file == "" {
			return fmt.Errorf("--file is required")
		}
		f, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("--file: %w", err)
		}
		defer f.Close()
		sum, err := a.Contacts.Import(ctx, org, f, !dryRun, func(r contacts.Row) {
			if r.Why != "" || (r.Outcome != contacts.New && r.Outcome != contacts.Updated && r.Outcome != contacts.Unchanged) {
				fmt.Fprintf(env.stdout, "row %d\t%s\t%s\t%s\n", r.Row, r.Outcome, r.Phone, r.Why)
			}
		})
		if err != nil {
			return err
		}
		verb := "imported"
		if dryRun {
			verb = "dry run, nothing changed"
		}
		fmt.Fprintf(env.stdout, "%d rows (%s):", sum.Rows, verb)
		var kinds []string
		for k := range sum.Outcomes {
			kinds = append(kinds, string(k))
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			fmt.Fprintf(env.stdout, " %d %s;", sum.Outcomes[contacts.Outcome(k)], k)
		}
		fmt.Fprintln(env.stdout)
		return nil
	})
}

func cmdContactsExport(ctx context.Context, env *environment, args []string) error {
	var out, tag string
	return withServices(ctx, env, "contacts export", args, false, func(fs *flag.FlagSet) {
		fs.StringVar(&out, "out", "", "the CSV file to write (required)")
		fs.StringVar(&tag, "tag", "", "only contacts with this tag")
	}, func(ctx context.Context, a *app.App, org frontdesk.OrgID) error {
		if out == "" {
			return fmt.Errorf("--out is required")
		}
		return writeNew(env, out, func(w io.Writer) error { return a.Contacts.Export(ctx, org, tag, w) })
	})
}
