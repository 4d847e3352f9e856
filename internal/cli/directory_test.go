package cli_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/directory"
)

// demoData creates a Serbian node's data directory with the demo directory.
func demoData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := config.Default()
	cfg.DataDir, cfg.NodeID, cfg.AdminPassword = dir, "rs", "cli-test-password"
	ctx := context.Background()
	n, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), clock.System{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close(ctx)
	if err := n.Dir.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDirectoryCommand(t *testing.T) {
	data := demoData(t)
	env := map[string]string{"LIAISON_DATA": data, "LIAISON_NODE_ID": "rs"}
	for _, tc := range []struct {
		args     []string
		code     int
		contains []string
	}{
		{[]string{"directory"}, 2, []string{"missing subcommand"}},
		{[]string{"directory", "teleport"}, 2, []string{`unknown subcommand "teleport"`}},
		{[]string{"directory", "contact", "--country", "RS"}, 2, []string{"needs --country and --role"}},
		{[]string{"directory", "search"}, 2, []string{"needs the words"}},
		{[]string{"directory", "contact", "--country", "RS", "--role", "asset recovery office"}, 0,
			[]string{"Serbia (RS) · Asset recovery office", "holder:    Stefan Pavlović", "deputy:    Ivana Savić", "Mon-Fri 08:00-16:00 (Europe/Belgrade)"}},
		{[]string{"directory", "contact", "--country", "Crna Gora", "--role", "gbv"}, 0, []string{"Ivana Vujović", "STALE"}},
		{[]string{"directory", "contact", "--country", "Kosova", "--role", "jit"}, 0, []string{"No jit contact is registered for Kosovo; the national contact unit", "Driton Krasniqi"}},
		{[]string{"directory", "contact", "--country", "Atlantis", "--role", "ncu"}, 1, []string{`no country matches "Atlantis"`}},
		{[]string{"directory", "contact", "--country", "RS", "--role", "astrologer"}, 1, []string{`role "astrologer" is not known`}},
		{[]string{"directory", "search", "Управа", "полиције"}, 0, []string{"agency", "Police Directorate"}},
		{[]string{"directory", "stale"}, 0, []string{"6 contact point(s) not confirmed"}},
		{[]string{"directory", "matrix", "--type", "readmission"}, 0, []string{"AL–XK: Demo AL–XK readmission (signed, not in force)", "ME–RS: —"}},
		{[]string{"directory", "export", "--format", "xml"}, 1, []string{`format "xml" is not supported`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			r := run(t, env, "", tc.args...)
			if r.code != tc.code {
				t.Fatalf("code %d want %d: %s %s", r.code, tc.code, r.stdout, r.stderr)
			}
			for _, c := range tc.contains {
				if !strings.Contains(r.stdout+r.stderr, c) {
					t.Errorf("output lacks %q:\n%s%s", c, r.stdout, r.stderr)
				}
			}
			if tc.code != 0 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && !strings.Contains(r.stderr, "Usage:") {
				t.Errorf("error must be one line: %q", r.stderr)
			}
		})
	}
	r := run(t, env, "", "directory", "contact", "--country", "BA", "--role", "ncu", "--json")
	var res directory.LookupResult
	if err := json.Unmarshal([]byte(r.stdout), &res); r.code != 0 || err != nil || len(res.Contacts) != 1 || res.Contacts[0].OwnerNode != "ba" {
		t.Fatalf("json lookup: %d %v %s", r.code, err, r.stdout)
	}
	out := filepath.Join(t.TempDir(), "cp.csv")
	if r := run(t, env, "", "directory", "export", "--format", "csv", "--kind", "contact-points", "--out", out); r.code != 0 {
		t.Fatalf("export: %s", r.stderr)
	}
	f, _ := os.Open(out)
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil || len(rows) != 37 { // header and 36 demo contact points (six roles in six countries)
		t.Fatalf("csv export: %d rows %v", len(rows), err)
	}
}
