package alerts_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 5), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func auditCount(t *testing.T, n *testutil.Node, action, object string) int {
	t.Helper()
	var c int
	if err := n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object = ?`, action, object).Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

// A photo is checked by its content, replicated with the signed copy,
// covered by the digest, and read under the alert's visibility rules with
// every read audited.
func TestAlertPhotoAndLinksAcrossNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		photo := pngOf(t, 48, 64)

		// Validation: wrong type, too large, not an image, bad size, object alert.
		bad := map[string][]byte{
			"photo-type":       []byte("GIF89a" + strings.Repeat("x", 100)),
			"photo-too-large":  append(append([]byte{}, photo...), make([]byte, alerts.MaxPhotoBytes)...),
			"photo-unreadable": append([]byte("\x89PNG\r\n\x1a\n"), []byte("not really an image at all")...),
			"photo-dimensions": pngOf(t, 8, 8),
		}
		for code, data := range bad {
			d := arrestDraft("me")
			d.Photo = data
			if _, err := p.rs.Alerts.Create(ctx, p.rsPol, d); errs.CodeOf(err) != code || !errs.Is(err, errs.Invalid) {
				t.Fatalf("%s: %v", code, err)
			}
		}
		obj := alerts.AlertDraft{Kind: alerts.KindObject, Object: &alerts.WantedObject{Type: "vehicle", Plate: "BG-123-AA"}, Action: "Seize.", Reason: "Stolen.", Authority: "PU Beograd", Photo: photo}
		if _, err := p.rs.Alerts.Create(ctx, p.rsPol, obj); !errs.Is(err, errs.Invalid) {
			t.Fatalf("photo on an object alert: %v", err)
		}

		// Links: to an unknown alert refused; to a visible one kept.
		first := publish(t, p, alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "discreet", Person: &alerts.WantedPerson{GivenName: "Jovan", FamilyName: "Kostić", DateOfBirth: "1979-11-02"},
			Action: "Discreet check; report the companions.", Reason: "Accomplice in the Niš robbery.", Authority: "PU Niš", Recipients: []alerts.RecipientInput{{Node: "me"}}})
		d := arrestDraft("me")
		d.Links = []string{"no-such-alert"}
		if _, err := p.rs.Alerts.Create(ctx, p.rsPol, d); !errs.Is(err, errs.Invalid) {
			t.Fatalf("link to an unknown alert: %v", err)
		}
		d.Links, d.Photo = []string{first.ID}, photo
		a := publish(t, p, d)
		if a.Photo == nil || a.Photo.ContentType != "image/png" || a.Photo.Width != 48 || a.Photo.Height != 64 || len(a.Linked) != 1 || a.Linked[0].ID != first.ID {
			t.Fatalf("issuer copy: photo %+v linked %+v", a.Photo, a.Linked)
		}

		// The recipient's signed copy carries the same photo and links.
		got, err := p.me.Alerts.Get(ctx, p.mePol, a.ID)
		if err != nil || got.Photo == nil || got.Photo.SHA256 != a.Photo.SHA256 || got.Digest != a.Digest || len(got.Linked) != 1 || got.Linked[0].ID != first.ID {
			t.Fatalf("recipient copy: %+v %v", got, err)
		}
		ph, err := p.me.Alerts.GetPhoto(ctx, p.mePol, a.ID)
		if err != nil || !bytes.Equal(ph.Data, photo) || ph.ContentType != "image/png" {
			t.Fatalf("photo on me: %v", err)
		}
		if n := auditCount(t, p.me, "alerts.photo.read", "alerts/"+a.ID); n != 1 {
			t.Fatalf("photo reads audited: %d", n)
		}
		res, err := p.me.Alerts.Check(ctx, p.mePol, "Marko Petrović 1985-03-12", "border check")
		if err != nil || !res.Hit || !res.Matches[0].Photo {
			t.Fatalf("check result without the photo: %+v %v", res, err)
		}

		// Partners see no photo; front-line users none of a hidden alert.
		if _, err := p.me.Alerts.GetPhoto(ctx, p.mePartner, a.ID); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.NotFound) {
			t.Fatalf("partner reads the photo: %v", err)
		}
		if _, err := p.me.Alerts.GetPhoto(ctx, p.mePol, first.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("photo of an alert without one: %v", err)
		}
		if _, err := p.rs.Alerts.SetHidden(ctx, p.rsPros, a.ID, true, "Operation under way."); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "hidden on me", wait, func() bool {
			_, err := p.me.Alerts.GetPhoto(ctx, p.mePol, a.ID)
			return errs.Is(err, errs.NotFound)
		})
		if _, err := p.me.Alerts.GetPhoto(ctx, p.meNCU, a.ID); err != nil {
			t.Fatalf("the NCU reads the photo of a hidden alert: %v", err)
		}
	})
}

// A draft's photo is kept on an edit that does not send one and removed
// on request.
func TestAlertPhotoOnDraftEdit(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs")
		rs := c.Nodes["rs"]
		pol := user(t, rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
		d := arrestDraft()
		d.Photo = pngOf(t, 32, 32)
		a, err := rs.Alerts.Create(ctx, pol, d)
		if err != nil || a.Photo == nil {
			t.Fatalf("draft with a photo: %+v %v", a.Photo, err)
		}
		d.Photo, d.Reason = nil, d.Reason+" Second robbery added."
		if a, err = rs.Alerts.Update(ctx, pol, a.ID, d); err != nil || a.Photo == nil || a.Photo.Width != 32 {
			t.Fatalf("edit without a photo keeps it: %+v %v", a.Photo, err)
		}
		d.RemovePhoto = true
		if a, err = rs.Alerts.Update(ctx, pol, a.ID, d); err != nil || a.Photo != nil {
			t.Fatalf("photo removed: %+v %v", a.Photo, err)
		}
		if _, err := rs.Alerts.GetPhoto(ctx, pol, a.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("removed photo still served: %v", err)
		}
	})
}
