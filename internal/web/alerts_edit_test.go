package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// noisyPNG draws a PNG of random pixels, which does not compress: about
// 3 bytes a pixel, so a photo of a given size can be made.
func noisyPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(rng.IntN(256)), uint8(rng.IntN(256)), uint8(rng.IntN(256)), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// multipartForm writes form values and, when photo is given, the photo
// file as the compose form sends them.
func multipartForm(t *testing.T, form url.Values, photo []byte) (io.Reader, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if photo != nil {
		fw, err := mw.CreateFormFile("photo", "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(photo)
	}
	mw.Close()
	return &b, mw.FormDataContentType()
}

// A draft can be changed from the web before it is validated: the form
// comes back filled in (warnings, recipients and legal basis ticked, the
// current photo shown), a photo larger than the default request limit is
// accepted on the compose and edit forms and the API, and a validated
// alert can no longer be changed.
func TestAlertDraftEditForm(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	author := rs.AddUser(t, "author", auth.RoleOfficer)
	second := rs.AddUser(t, "second", auth.RoleOfficer)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(tok, method, path, ctype string, body io.Reader) (*http.Response, string) {
		req, _ := http.NewRequest(method, rs.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// 700×700 random pixels: about 1.4 MiB, more than the default 1 MiB
	// request limit, less than the 2 MiB a photo may have.
	big := noisyPNG(t, 700, 700)
	if len(big) <= 1<<20 || len(big) > alerts.MaxPhotoBytes {
		t.Fatalf("test photo is %d bytes", len(big))
	}
	form := url.Values{"kind": {"check"}, "sub": {"discreet"}, "subject": {"person"}, "given_name": {"Jovan"}, "family_name": {"Kostić"},
		"date_of_birth": {"1979-11-02"}, "warnings": {"armed", "escaped"}, "action": {"Discreet check; report the companions."},
		"reason": {"Accomplice in K-12/26."}, "authority": {"PU Niš"}, "recipient": {"me"}, "basis_me": {""}}
	body, ctype := multipartForm(t, form, big)
	resp, _ := do(author, "POST", "/alerts", ctype, body)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(loc, "?ok=created") {
		t.Fatalf("compose with a 1.4 MiB photo: %d %s", resp.StatusCode, loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/alerts/"), "?ok=created")
	a, err := rs.Alerts.Get(context.Background(), principal(t, rs, "reader", auth.RoleOfficer), id)
	if err != nil || a.Photo == nil || a.Photo.Size != int64(len(big)) {
		t.Fatalf("stored photo: %+v %v", a.Photo, err)
	}

	// The larger body is declared by the compose and edit routes only: the
	// same form sent to the check screen is over the node's limit.
	body, ctype = multipartForm(t, form, big)
	if resp, _ := do(author, "POST", "/alerts/check", ctype, body); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 1.4 MiB form to the check screen: %d", resp.StatusCode)
	}

	// A photo beyond what the form may carry is refused as too large, not
	// read as a form missing its fields.
	huge := noisyPNG(t, 1200, 1200) // about 4 MiB
	body, ctype = multipartForm(t, form, huge)
	if resp, page := do(author, "POST", "/alerts", ctype, body); resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(page, "too large") {
		t.Fatalf("compose with a 4 MiB photo: %d", resp.StatusCode)
	}
	// Sent without a length (chunked), it is cut short while being read.
	body, ctype = multipartForm(t, form, huge)
	if resp, _ := do(author, "POST", "/alerts", ctype, io.MultiReader(body)); !strings.HasPrefix(resp.Header.Get("Location"), "/alerts/new?form=") {
		t.Fatalf("compose with a 4 MiB photo: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	} else if _, page := do(author, "GET", resp.Header.Get("Location"), "", nil); !strings.Contains(page, "too large") {
		t.Fatalf("too large photo not explained:\n%s", page)
	}

	// The alert page offers the change to its author; the form is filled in.
	if _, page := do(author, "GET", "/alerts/"+id, "", nil); !strings.Contains(page, `href="/alerts/`+id+`/edit"`) {
		t.Fatalf("no change link on the draft:\n%s", page)
	}
	_, page := do(author, "GET", "/alerts/"+id+"/edit", "", nil)
	for _, want := range []string{`action="/alerts/` + id + `/edit"`, `value="Kostić"`, `value="armed" checked`, `value="escaped" checked`,
		`value="me" checked`, `id="a-photo-current"`, `name="remove_photo"`, `Discreet check; report the companions.`} {
		if !strings.Contains(page, want) {
			t.Fatalf("edit form lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, `value="violent" checked`) {
		t.Fatal("a warning that was not given is ticked")
	}

	// A change that drops the photo and corrects the name.
	form.Set("family_name", "Kostic-Petrović")
	form.Set("remove_photo", "1")
	form.Del("warnings")
	body, ctype = multipartForm(t, form, nil)
	if resp, _ := do(author, "POST", "/alerts/"+id+"/edit", ctype, body); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/alerts/"+id+"?ok=edited" {
		t.Fatalf("change: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, page := do(author, "GET", "/alerts/"+id+"?ok=edited", "", nil); !strings.Contains(page, "Draft changed") || !strings.Contains(page, "Kostic-Petrović") ||
		strings.Contains(page, `id="alert-photo"`) {
		t.Fatalf("changed draft:\n%s", page)
	}
	// A change without the reason comes back to the edit form, filled in.
	form.Del("reason")
	body, ctype = multipartForm(t, form, nil)
	if resp, _ := do(author, "POST", "/alerts/"+id+"/edit", ctype, body); !strings.HasPrefix(resp.Header.Get("Location"), "/alerts/"+id+"/edit?form=") {
		t.Fatalf("change without reason: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	} else if _, page := do(author, "GET", resp.Header.Get("Location"), "", nil); !strings.Contains(page, `value="Kostic-Petrović"`) || !strings.Contains(page, `aria-invalid="true"`) {
		t.Fatalf("failed change not shown filled in:\n%s", page)
	}

	// The API takes the same photo as base64 in JSON (about 1.9 MiB).
	draft := `{"kind":"check","sub":"discreet","person":{"given_name":"Ana","family_name":"Kostić","date_of_birth":"1981-01-02"},` +
		`"action":"Discreet check.","reason":"Accomplice.","authority":"PU Niš","photo":"` + base64.StdEncoding.EncodeToString(big) + `"}`
	if resp, body := do(author, "POST", "/api/v1/alerts", "application/json", strings.NewReader(draft)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("API draft with a 1.4 MiB photo: %d %s", resp.StatusCode, body)
	}
	// Other requests keep the default limit.
	if resp, _ := do(author, "POST", "/api/v1/alerts/check", "application/json", strings.NewReader(`{"query":"`+strings.Repeat("a", 1<<20)+`"}`)); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("a large check: %d, want 413", resp.StatusCode)
	}

	// Once validated, the alert cannot be changed.
	if resp, _ := do(second, "POST", "/alerts/"+id+"/validate", "application/x-www-form-urlencoded", strings.NewReader("")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("validate: %d", resp.StatusCode)
	}
	if resp, page := do(author, "GET", "/alerts/"+id+"/edit", "", nil); resp.StatusCode != http.StatusConflict {
		t.Fatalf("edit form of a validated alert: %d\n%s", resp.StatusCode, page)
	}
	if _, page := do(author, "GET", "/alerts/"+id, "", nil); strings.Contains(page, `/edit"`) {
		t.Fatal("a validated alert offers a change")
	}
}

// In a browser, the author opens the draft, changes it, adds a photo and
// sees the result; the fields are labelled and reachable on a tablet.
func TestBrowserAlertDraftEdit(t *testing.T) {
	rs := testutil.Start(t, testutil.Options{NodeID: "rs"})
	author := principal(t, rs, "rs-officer", auth.RoleOfficer)
	a, err := rs.Alerts.Create(context.Background(), author, alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "discreet",
		Person:   &alerts.WantedPerson{GivenName: "Marko", FamilyName: "Petrović", DateOfBirth: "1985-03-12"},
		Warnings: []string{"violent"}, Action: "Discreet check.", Reason: "Suspected courier.", Authority: "PU Niš"})
	if err != nil {
		t.Fatal(err)
	}
	photo := testPNG(t, 120, 160)
	file := t.TempDir() + "/photo.png"
	if err := os.WriteFile(file, photo, 0o600); err != nil {
		t.Fatal(err)
	}
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "rs-officer", testutil.Password)
	browsertest.Do(bc, t, chromedp.EmulateViewport(768, 1024))
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/alerts/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#alert-edit`)),
		chromedp.Click(chromedp.CSS(`#alert-edit`)), chromedp.WaitVisible(chromedp.CSS(`#a-family`)))
	if v, err := chromedp.Run(bc, chromedp.Evaluate[string](`document.querySelector('#a-family').value`)); err != nil || v != "Petrović" {
		t.Fatalf("family name in the form: %q %v", v, err)
	}
	if v, err := chromedp.Run(bc, chromedp.Evaluate[bool](`document.querySelector('input[name=warnings][value=violent]').checked`)); err != nil || !v {
		t.Fatalf("warning not ticked: %v", err)
	}
	// Each field used below has a label and, scrolled to, lies inside the
	// viewport.
	for _, sel := range []string{"#a-family", "#a-photo", "#a-links", "#alert-save"} {
		ok, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const el = document.querySelector('`+sel+`'); el.scrollIntoView({block: 'center'});
			const r = el.getBoundingClientRect(); const labelled = el.tagName === 'BUTTON' ? el.textContent.trim() !== '' : !!document.querySelector('label[for="' + el.id + '"]');
			return labelled && r.width > 0 && r.height > 0 && r.left >= 0 && r.right <= window.innerWidth && r.top >= 0 && r.bottom <= window.innerHeight; })()`))
		if err != nil || !ok {
			t.Fatalf("%s is not labelled or not inside the viewport (%v)", sel, err)
		}
	}
	browsertest.Do(bc, t, chromedp.SetValue(chromedp.CSS(`#a-family`), "Petrović-Marić"),
		chromedp.SetUploadFiles(chromedp.CSS(`#a-photo`), []string{file}))
	browsertest.Screenshot(bc, t, "alerts-edit")
	browsertest.Do(bc, t, chromedp.Click(chromedp.CSS(`#alert-save`)), chromedp.WaitVisible(chromedp.CSS(`#alert-photo`)))
	if h := browsertest.Text(bc, t, "h1"); !strings.Contains(h, "Marko Petrović-Marić") {
		t.Fatalf("heading after the change: %q", h)
	}
	testutil.WaitFor(t, "photo shown", 5*time.Second, func() bool {
		ok, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const i = document.querySelector('#alert-photo'); return i.complete && i.naturalWidth === 120; })()`))
		return err == nil && ok
	})
}
