package web_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// The API takes the photo as base64 in the draft, refuses a file that is
// not a JPEG or PNG image with a clear message, and serves the photo only
// to those who may see the alert.
func TestAlertPhotoAPI(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	ctx := context.Background()
	author := n.AddUser(t, "author", auth.RoleOfficer)
	second := principal(t, n, "second", auth.RoleOfficer)
	border := n.AddUser(t, "border", auth.RoleOfficer)
	partner := n.AddUser(t, "donor", auth.RolePartner)
	call := func(tok, method, path string, body io.Reader) (*http.Response, []byte) {
		req, _ := http.NewRequest(method, n.URL+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, b
	}
	draft := func(photo []byte) string {
		return `{"kind":"check","sub":"discreet","person":{"given_name":"Jovan","family_name":"Kostić","date_of_birth":"1979-11-02"},` +
			`"action":"Discreet check.","reason":"Accomplice.","authority":"PU Niš","photo":"` + base64.StdEncoding.EncodeToString(photo) + `"}`
	}
	if resp, body := call(author, "POST", "/api/v1/alerts", strings.NewReader(draft([]byte("GIF89a not a photo at all")))); resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(string(body), "JPEG or PNG") {
		t.Fatalf("wrong type: %d %s", resp.StatusCode, body)
	}
	photo := testPNG(t, 40, 50)
	resp, body := call(author, "POST", "/api/v1/alerts", strings.NewReader(draft(photo)))
	var a alerts.Alert
	if resp.StatusCode != http.StatusCreated || json.Unmarshal(body, &a) != nil || a.Photo == nil || a.Photo.Width != 40 {
		t.Fatalf("draft with a photo: %d %s", resp.StatusCode, body)
	}
	if _, err := n.Alerts.Validate(ctx, second, a.ID); err != nil {
		t.Fatal(err)
	}
	resp, body = call(border, "GET", "/api/v1/alerts/"+a.ID+"/photo", nil)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, photo) {
		t.Fatalf("photo: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if resp, _ := call(partner, "GET", "/api/v1/alerts/"+a.ID+"/photo", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("partner reads the photo: %d", resp.StatusCode)
	}
}
