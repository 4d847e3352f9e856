package web_test

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestAuthorizationMatrix sends a real request for every route × role and
// compares who gets through with the reviewed matrix in testdata. A new
// route or a policy change shows up as a diff to review.
func TestAuthorizationMatrix(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	// Each role uses a login session (API tokens are refused on account
	// pages whatever the role; TestTokensAndSecondFactorNeedASession covers
	// them).
	type session struct {
		c    *http.Client
		csrf string
		user string
	}
	sessions := map[string]*session{"anonymous": {c: testutil.Client()}}
	for _, r := range auth.AllRoles {
		user := "u-" + strings.ReplaceAll(string(r), "_", "-")
		n.AddUser(t, user, r)
		c := testutil.Client()
		sessions[string(r)] = &session{c: c, csrf: login(t, c, n.URL, user), user: user}
	}
	cols := []string{"anonymous"}
	for _, r := range auth.AllRoles {
		cols = append(cols, string(r))
	}
	routes := n.Web.Routes()
	sort.Slice(routes, func(i, j int) bool {
		if routes[i].Pattern != routes[j].Pattern {
			return routes[i].Pattern < routes[j].Pattern
		}
		return routes[i].Method < routes[j].Method
	})
	var b strings.Builder
	fmt.Fprintf(&b, "%-7s %-40s %-24s %s\n", "METHOD", "ROUTE", "ACTION", strings.Join(cols, " "))
	for _, rt := range routes {
		path := fillParams(rt.Pattern)
		fmt.Fprintf(&b, "%-7s %-40s %-24s", rt.Method, rt.Pattern, rt.Action)
		for _, c := range cols {
			req, _ := http.NewRequest(rt.Method, n.URL+path, strings.NewReader("{}"))
			if rt.API {
				req.Header.Set("Content-Type", "application/json")
			} else if rt.Method == http.MethodPost {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			sess := sessions[c]
			if sess.csrf != "" {
				req.Header.Set("X-CSRF-Token", sess.csrf)
			}
			resp, err := sess.c.Do(req)
			if err != nil {
				t.Fatalf("%s %s as %s: %v", rt.Method, path, c, err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			cell := "allow"
			switch {
			case resp.Header.Get("Content-Type") == "application/problem+json" && (resp.StatusCode == 401 || resp.StatusCode == 403):
				// Only the guard's refusals count; a handler may answer 401
				// for its own reasons (the federation inbox for unknown peers).
				if bytes.Contains(raw, []byte(`problem:unauthenticated"`)) || bytes.Contains(raw, []byte(`problem:forbidden"`)) {
					cell = "-"
				}
			case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden:
				cell = "-"
			case resp.StatusCode == http.StatusSeeOther && strings.HasPrefix(resp.Header.Get("Location"), "/login") && !strings.Contains(resp.Header.Get("Location"), "bye=1"):
				cell = "-"
			case resp.StatusCode >= 500:
				t.Errorf("%s %s as %s: status %d", rt.Method, path, c, resp.StatusCode)
			}
			fmt.Fprintf(&b, " %s", pad(cell, len(c)))
			if rt.Pattern == "/logout" && sess.user != "" {
				sess.csrf = login(t, sess.c, n.URL, sess.user)
			}
		}
		b.WriteString("\n")
	}
	golden := filepath.Join("testdata", "authz_matrix.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("authorisation matrix changed; review and run go test ./internal/web -run Matrix -update\n--- got\n%s\n--- want\n%s", got, want)
	}
}

func fillParams(p string) string {
	r := strings.NewReplacer("{$}", "", "{id}", "00000000-0000-0000-0000-000000000000", "{username}", "nobody", "{index}", "0", "{schema}", "Problem")
	return r.Replace(p)
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
