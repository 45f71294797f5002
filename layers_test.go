package frontdesk_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// The layers hold by construction: the HTTP fronts know no SQL, and driver
// errors never leave internal/postgres. A front that imports the sqlc
// output or pgx, or code that inspects a driver error, fails here.
func TestLayers(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}: {{join .Imports " "}}`, "./...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	fronts := []string{"frontdesk/internal/web"}
	forbiddenInFronts := []string{"frontdesk/internal/postgres", "frontdesk/internal/postgres/db",
		"github.com/jackc/pgx/v5", "github.com/jackc/pgx/v5/pgtype", "github.com/jackc/pgx/v5/pgconn"}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			for _, f := range fronts {
				if (pkg == f || strings.HasPrefix(pkg, f+"/")) && contains(forbiddenInFronts, imp) {
					t.Errorf("%s imports %s: a front calls domain services, never SQL", pkg, imp)
				}
			}
			if imp == "github.com/jackc/pgx/v5/pgconn" && !strings.HasPrefix(pkg, "frontdesk/internal/postgres") {
				t.Errorf("%s imports pgconn: driver errors are translated in internal/postgres", pkg)
			}
		}
		for _, f := range fronts {
			if pkg == f {
				checked++
			}
		}
	}
	if checked != len(fronts) {
		t.Fatalf("go list did not list the fronts %v:\n%s", fronts, out)
	}

	// No code outside internal/postgres looks at pgx's no-rows error or a
	// SQLSTATE: it sees frontdesk.ErrNotFound and frontdesk.ErrConflict.
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (path == filepath.Join("internal", "postgres") || strings.HasPrefix(d.Name(), ".")) && path != "." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, driverism := range []string{"pgx.ErrNoRows", "pgconn.PgError", `"23505"`, `"23P01"`} {
			if strings.Contains(string(src), driverism) {
				t.Errorf("%s mentions %s: translate driver errors in internal/postgres", path, driverism)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
