package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"time"

	"frontdesk/internal/postgres"
)

// cmdKeysRotate re-seals every stored secret under the current key
// (the highest version of FRONTDESK_SECRET_KEYS), online, a batch at a
// time, and says which versions still hold secrets before and after.
func cmdKeysRotate(ctx context.Context, env *environment, args []string) error {
	var batch int
	return withAdmin(ctx, env, "keys rotate", "", args, func(fs *flag.FlagSet, c *config) {
		env.secretFlags(fs, c)
		fs.IntVar(&batch, "batch", 500, "secrets re-sealed per batch")
	}, func(admin *postgres.Admin, c *config) error {
		if batch < 1 {
			return fmt.Errorf("--batch must be at least 1")
		}
		box, err := c.secretBox(false)
		if err != nil {
			return err
		}
		before, err := admin.KeyVersions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "current key: version %d (keys held: %v)\n", box.Current(), box.Versions())
		fmt.Fprintf(env.stdout, "before: %s\n", versionsInWords(before))
		start := time.Now()
		n, err := admin.Rotate(ctx, box, batch, func(what string, done int) {
			fmt.Fprintf(env.stdout, "  %s: %d re-sealed\n", what, done)
		})
		if err != nil {
			return fmt.Errorf("after %d re-sealed: %w", n, err)
		}
		after, err := admin.KeyVersions(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.stdout, "re-sealed %d secrets in %s\n", n, time.Since(start).Round(time.Millisecond))
		fmt.Fprintf(env.stdout, "after: %s\n", versionsInWords(after))
		var old []byte
		for _, v := range box.Versions() {
			if v != box.Current() && after[int(v)] == 0 {
				old = append(old, v)
			}
		}
		if len(old) > 0 && after[0] == 0 {
			fmt.Fprintf(env.stdout, "no secret is sealed with key version %v any more: it can be dropped from FRONTDESK_SECRET_KEYS\n", old)
		}
		return nil
	})
}

// versionsInWords is "version 1: 10, version 2: 3" (0: unmarked, from
// before versions).
func versionsInWords(in map[int]int64) string {
	var vs []int
	for v := range in {
		vs = append(vs, v)
	}
	slices.Sort(vs)
	out := ""
	for i, v := range vs {
		if i > 0 {
			out += ", "
		}
		name := fmt.Sprintf("version %d", v)
		if v == 0 {
			name = "unmarked (sealed before versions)"
		}
		out += fmt.Sprintf("%s: %d", name, in[v])
	}
	if out == "" {
		return "no secrets stored"
	}
	return out
}
