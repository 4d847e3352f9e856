package web_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestAgreementPageShowsDeclaredTerms: what Bosnia and Herzegovina's NCU
// declares under PCC SEE (through its declaration form) reaches Serbia's
// node and shows on the agreement's page there, a table per state with the
// declared values, when and by whom; the API gives the same. An officer
// reads them without a link to change them, an analyst (no access to the
// operations room) does not see them at all, and Serbia's NCU gets a link
// to declare for Serbia.
func TestAgreementPageShowsDeclaredTerms(t *testing.T) {
	ns := opsNodes(t, "rs", "ba")
	rs, ba := ns[0], ns[1]
	ba.AddUser(t, "ba-ncu", auth.RoleNCUOperator)
	rs.AddUser(t, "rs-ncu", auth.RoleNCUOperator)
	polTok := rs.AddUser(t, "rs-pol", auth.RoleOfficer)
	analystTok := rs.AddUser(t, "rs-analyst", auth.RoleAnalyst)

	basis, err := rs.Ops.LegalBasis(t.Context(), rs.Principal(t, "rs-traffic", "rs-traffic", auth.RoleOfficer), operations.KindPursuit, "ba")
	if err != nil || basis.AgreementID == "" {
		t.Fatalf("basis RS→BA: %+v %v", basis, err)
	}
	page := "/directory/agreements/" + basis.AgreementID

	// Bosnia and Herzegovina declares through the form its NCU is led to.
	bc := testutil.Client()
	csrf := login(t, bc, ba.URL, "ba-ncu")
	code, body := pageText(t, bc, ba.URL+page)
	if code != 200 || !strings.Contains(body, `id="terms-declare"`) {
		t.Fatalf("BA NCU: no link to declare terms (%d)", code)
	}
	code, body = pageText(t, bc, ba.URL+page+"/terms?country=BA")
	if code != 200 || !strings.Contains(body, `id="terms-form"`) || !strings.Contains(body, `<option value="BA" selected>`) {
		t.Fatalf("declaration form %d", code)
	}
	// A limit out of range comes back on the form with the reason.
	resp, err := bc.PostForm(ba.URL+page+"/terms", url.Values{"csrf_token": {csrf}, "country": {"BA"}, "pursuit": {"1"}, "pursuit_km": {"5000"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, page+"/terms?country=BA") {
		t.Fatalf("out of range: %d %s", resp.StatusCode, loc)
	} else if _, body := pageText(t, bc, ba.URL+loc); !strings.Contains(body, "A declared limit is out of range.") || !strings.Contains(body, `value="5000"`) {
		t.Fatal("out-of-range limit not explained on the form")
	}
	form := url.Values{"csrf_token": {csrf}, "country": {"BA"}, "pursuit": {"1"}, "pursuit_km": {"30"}, "pursuit_hours": {"2"}, "surveillance_minutes": {"240"},
		"note": {"Roads only"}}
	resp, err = bc.PostForm(ba.URL+page+"/terms", form)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != page+"?ok=terms#terms" {
		t.Fatalf("declare: %d %s %s", resp.StatusCode, loc, b)
	}
	code, body = pageText(t, bc, ba.URL+page+"?ok=terms")
	if code != 200 || !strings.Contains(body, "Declaration recorded.") || !strings.Contains(body, `id="terms-change-BA"`) {
		t.Fatalf("after declaring: %d", code)
	}

	// On Serbia's node, once the declaration arrived.
	pc := testutil.Client()
	login(t, pc, rs.URL, "rs-pol")
	testutil.WaitFor(t, "BA's declaration on rs", 20*time.Second, func() bool {
		_, body := pageText(t, pc, rs.URL+page)
		return strings.Contains(body, `id="terms-BA"`)
	})
	code, body = pageText(t, pc, rs.URL+page)
	table := body[strings.Index(body, `id="terms-BA"`):]
	table = table[:strings.Index(table, "</table>")]
	for _, want := range []string{"Declared by BA", "Hot pursuit on its territory", ">allowed<", "up to 30 km", "up to 2 hours", "Pursuing officers may apprehend", ">no<", "240 minutes", "Roads only", "@ba"} {
		if !strings.Contains(table, want) {
			t.Errorf("BA's table lacks %q:\n%s", want, table)
		}
	}
	if i := strings.Index(body, `id="terms-undeclared"`); i < 0 || !strings.Contains(body[i:i+200], "No declaration recorded for") || !strings.Contains(body[i:i+200], "RS") {
		t.Error("Serbia, which declared nothing, is not said to have declared nothing")
	}
	if strings.Contains(body, page+"/terms") {
		t.Error("an officer is offered to change declared terms")
	}

	ac := testutil.Client()
	login(t, ac, rs.URL, "rs-analyst")
	if code, body := pageText(t, ac, rs.URL+page); code != 200 || strings.Contains(body, `id="terms"`) || strings.Contains(body, "30 km") {
		t.Fatalf("analyst: %d, declared terms shown", code)
	}

	nc := testutil.Client()
	login(t, nc, rs.URL, "rs-ncu")
	if _, body := pageText(t, nc, rs.URL+page); !strings.Contains(body, `href="`+page+`/terms"`) {
		t.Fatal("RS NCU: no link to declare terms")
	}
	// The form opens on this node's own state.
	if _, body := pageText(t, nc, rs.URL+page+"/terms"); !strings.Contains(body, `<option value="RS" selected>`) {
		t.Fatal("RS NCU: the declaration form does not open on RS")
	}

	get := func(tok string) (int, []byte) {
		req, _ := http.NewRequest("GET", rs.URL+"/api/v1/directory/agreements/"+basis.AgreementID+"/terms", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	code, raw := get(polTok)
	var ds []operations.Declaration
	if code != 200 || json.Unmarshal(raw, &ds) != nil || len(ds) != 1 || ds[0].Country != "BA" || ds[0].PursuitKm != 30 || ds[0].PursuitHours != 2 ||
		ds[0].Apprehend || ds[0].SurveillanceMinutes != 240 || ds[0].DeclaredBy != "@ba" || ds[0].DeclaredAt.IsZero() || ds[0].Agreement != "PCC SEE" {
		t.Fatalf("API: %d %s", code, raw)
	}
	if code, _ := get(analystTok); code != 403 {
		t.Fatalf("analyst reads declared terms over the API: %d", code)
	}
}
