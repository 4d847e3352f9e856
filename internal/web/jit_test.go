package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/jit"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// The API creates a parallel investigation and a JIT; the workspace pages
// and the activity report render completely; an analyst may not register
// evidence (policy) and a non-member sees nothing.
func TestJITAPIAndPages(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	officer := n.AddUser(t, "marko", auth.RoleOfficer)
	analyst := n.AddUser(t, "mila", auth.RoleAnalyst)
	other := n.AddUser(t, "eve", auth.RoleOfficer)

	var par jit.Workspace
	code, body := casesCall(t, http.MethodPost, n.URL+"/api/v1/parallel", officer, "application/json",
		`{"title":"Cocaine via Bar","members":[{"node":"rs","username":"marko","role":"leader"},{"node":"rs","username":"mila","role":"analyst"}],"tasks":[{"title":"Agree the action day"}]}`, &par)
	if code != http.StatusCreated || par.Kind != jit.KindParallel {
		t.Fatalf("create parallel: %d %s", code, body)
	}
	var w jit.Workspace
	code, body = casesCall(t, http.MethodPost, n.URL+"/api/v1/jit", officer, "application/json",
		`{"template":"model-2017","title":"Heroin route","members":[{"node":"rs","username":"marko","role":"leader"},{"node":"rs","username":"mila","role":"analyst"}]}`, &w)
	if code != http.StatusCreated || len(w.Tasks) != 4 || w.LegalBasis == "" {
		t.Fatalf("create JIT: %d %s", code, body)
	}
	code, body = casesCall(t, http.MethodPost, n.URL+"/api/v1/jit/"+w.ID+"/evidence", analyst, "application/json",
		`{"title":"x","origin":"y","legal_basis":"z","sha256":"`+strings.Repeat("ab", 32)+`"}`, nil)
	if code != http.StatusForbidden {
		t.Fatalf("analyst registering evidence: %d %s", code, body)
	}
	code, body = casesCall(t, http.MethodPost, n.URL+"/api/v1/jit/"+w.ID+"/evidence", officer, "application/json",
		`{"title":"Ledger","origin":"Search","legal_basis":"Order 1","sha256":"`+strings.Repeat("ab", 32)+`"}`, nil)
	if code != http.StatusCreated {
		t.Fatalf("officer registering evidence: %d %s", code, body)
	}
	for _, c := range []struct{ path, want string }{
		{"/jit", "Cocaine via Bar"},
		{"/jit/w/" + par.ID, "Exchange plan"},
		{"/jit/w/" + w.ID, "chain intact"},
		{"/jit/w/" + w.ID + "/report", "Evidence registered"},
		{"/jit/new", "Template agreement"},
	} {
		code, body := casesCall(t, http.MethodGet, n.URL+c.path, officer, "", "", nil)
		if code != http.StatusOK || !strings.Contains(body, c.want) || !strings.Contains(body, "</html>") {
			t.Errorf("GET %s: %d, want %q in a complete page", c.path, code, c.want)
		}
	}
	if code, _ := casesCall(t, http.MethodGet, n.URL+"/api/v1/jit/"+w.ID, other, "", "", nil); code != http.StatusNotFound {
		t.Errorf("non-member: %d", code)
	}
}
