// Command frontdesk is the whole of Frontdesk: the API server, migrations,
// the one-command development environment and the operator's admin tasks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// command is one subcommand.
type command struct {
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

// commands is filled in init: the commands' flag usage reads it back.
var commands map[string]command

func init() {
	commands = map[string]command{
		"serve":             {"run the HTTP API (production: uses FRONTDESK_DATABASE_URL)", cmdServe},
		"worker":            {"work background jobs: recordings, texts, calendar sync (production: uses FRONTDESK_DATABASE_URL)", cmdWorker},
		"dev":               {"run everything locally: private PostgreSQL under .data/, migrations, demo data, server", cmdDev},
		"migrate":           {"apply database migrations as the owner role", cmdMigrate},
		"demo":              {"generate N clinics and M calls with a realistic skew, for benchmarks", cmdDemo},
		"org create":        {"create an organization (clinic)", cmdOrgCreate},
		"user create":       {"create a user", cmdUserCreate},
		"member add":        {"add a user to an organization with a role", cmdMemberAdd},
		"token":             {"print a bearer token for a user", cmdToken},
		"audit":             {"list requests for objects a clinic does not have (cross-tenant attempts)", cmdAudit},
		"login unlock":      {"lift an account's sign-in locks (failed-password limits), from every address", cmdLoginUnlock},
		"user list":         {"list users, whether they have a password, and their clinics", cmdUserList},
		"user set-password": {"set a user's password (or print a one-time one)", cmdUserSetPassword},
		"org list":          {"list organizations (clinics)", cmdOrgList},
		"member list":       {"list an organization's members and roles", cmdMemberList},
		"member remove":     {"remove a user from an organization", cmdMemberRemove},
		"patient export":    {"write a zip of one patient's data in a clinic (calls, transcripts, recordings, bookings, texts)", cmdPatientExport},
		"patient erase":     {"erase one patient's data in a clinic on their request (--confirm repeats the number)", cmdPatientErase},
		"retention":         {"remove what clinics keep longer than their retention settings (--dry-run: only print it)", cmdRetention},
		"keys rotate":       {"re-seal every stored secret under the current key (the highest of FRONTDESK_SECRET_KEYS), online", cmdKeysRotate},
		"contacts import":   {"import a clinic's contacts from CSV (--dry-run: say what each row would do)", cmdContactsImport},
		"contacts export":   {"write a clinic's contacts as CSV", cmdContactsExport},
		"access-log":        {"list who read a clinic's patients' data (transcripts, recordings, timelines, exports)", cmdAccessLog},
	}
}

// environment is what every command gets: configuration read once, and
// where to write.
type environment struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
}

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	env := &environment{getenv: getenv, stdout: stdout, stderr: stderr}
	name, rest := "", args
	if len(args) > 0 {
		name, rest = args[0], args[1:]
		if _, ok := commands[name]; !ok && len(args) > 1 {
			name, rest = args[0]+" "+args[1], args[2:]
		}
	}
	cmd, ok := commands[name]
	if group, rest, _ := strings.Cut(name, " "); !ok && groupUsage(stderr, group) {
		// "frontdesk org" or "frontdesk org --help": the group's commands.
		if rest == "" || rest == "-h" || rest == "--help" || rest == "help" {
			return 0
		}
		fmt.Fprintf(stderr, "frontdesk: unknown command %q\n", name)
		return 2
	}
	if !ok {
		if name != "" && name != "help" && name != "-h" && name != "--help" {
			fmt.Fprintf(stderr, "frontdesk: unknown command %q\n\n", name)
		}
		usage(stderr)
		if name == "" || name == "help" || name == "-h" || name == "--help" {
			return 0
		}
		return 2
	}
	if err := cmd.run(ctx, env, rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "frontdesk %s: %s\n", name, oneLine(err))
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: frontdesk <command> [flags]   (frontdesk <command> --help for its flags)")
	fmt.Fprintln(w)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, commands[n].summary)
	}
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

// groupUsage lists the commands of a group ("org", "user", ...) and says
// whether there are any.
func groupUsage(w io.Writer, group string) bool {
	var names []string
	for n := range commands {
		if strings.HasPrefix(n, group+" ") {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return false
	}
	sort.Strings(names)
	fmt.Fprintf(w, "usage: frontdesk %s <command> [flags]   (frontdesk %s <command> --help for its flags)\n\n", group, group)
	for _, n := range names {
		fmt.Fprintf(w, "  %-18s %s\n", n, commands[n].summary)
	}
	return true
}
