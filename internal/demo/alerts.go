package demo

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"time"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
)

// demoAlert is an alert issued by one demo node to every partner with a
// legal basis.
type demoAlert struct {
	from  string
	draft alerts.AlertDraft
	photo bool   // carries a generated portrait
	link  string // links to the demo alert of the same node with this warrant reference
}

var demoAlerts = []demoAlert{
	{"rs", alerts.AlertDraft{Kind: alerts.KindArrest, Sub: "extradition",
		Person: &alerts.WantedPerson{GivenName: "Marko", FamilyName: "Petrović", Names: []string{"Марко Петровић", "Marko Petrovski"}, DateOfBirth: "1985-03-12",
			PlaceOfBirth: "Niš", Sex: "m", Nationalities: []string{"RS"}, Documents: []string{"012345678"}, Description: "1.80 m, scar on the left cheek"},
		Warnings: []string{"armed", "violent"}, Action: "Arrest with a view to extradition; inform the Serbian NCU at once.",
		Reason: "Armed robbery of a jewellery shop in Niš, March 2025.", Authority: "Higher Public Prosecutor's Office in Niš", WarrantRef: "KTI-117/25",
		InterpolRef: "red 2025/12345", CaseRefs: []string{"KTI-117/25"}, AllPartners: true}, true, ""},
	{"rs", alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "discreet",
		Person: &alerts.WantedPerson{GivenName: "Dejan", FamilyName: "Ristić", Names: []string{"Дејан Ристић"}, DateOfBirth: "1988-07-30", Sex: "m", Nationalities: []string{"RS"}},
		Action: "Discreet check: record the route, the vehicle and the companions; do not alert the person.",
		Reason: "Suspected of driving the getaway car in the Niš jewellery robbery.", Authority: "Higher Public Prosecutor's Office in Niš",
		AllPartners: true}, false, "KTI-117/25"},
	{"rs", alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure",
		Object: &alerts.WantedObject{Type: "firearm", Serial: "CZ75-B-123456", Make: "CZ", Model: "75 B", Calibre: "9×19 mm", Description: "Stolen from a licensed dealer in Kragujevac."},
		Action: "Seize the firearm and inform the Serbian firearms focal point.", Reason: "Burglary at a gun shop, January 2026.",
		Authority: "Police Directorate Kragujevac", AllPartners: true}, false, ""},
	{"me", alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure",
		Object: &alerts.WantedObject{Type: "vehicle", Plate: "PG 456 CD", VIN: "WAUZZZ4G1FN012345", Make: "Audi", Model: "A6"},
		Action: "Seize the vehicle; hold the driver for identification.", Reason: "Stolen in Podgorica on 2 November 2026.",
		Authority: "Police Directorate Podgorica", AllPartners: true}, false, ""},
	{"mk", alerts.AlertDraft{Kind: alerts.KindArrest, Sub: "surrender",
		Person: &alerts.WantedPerson{GivenName: "Goran", FamilyName: "Stojanovski", Names: []string{"Горан Стојановски"}, DateOfBirth: "1979-11-04", Sex: "m",
			NationalIDs: []string{"0411979450012"}},
		Warnings: []string{"escaped"}, Action: "Arrest; the person escaped from Idrizovo prison.", Reason: "Escaped while serving a sentence for trafficking in human beings.",
		Authority: "Basic Court Skopje I", WarrantRef: "K-2231/24",
		Misused: &alerts.Misused{Name: "Goran Stojanovski", DateOfBirth: "1979-11-04", Document: "A1234567",
			Note: "The genuine holder of passport A1234567 lives in Bitola, is 1.65 m tall and has no tattoos; the fugitive is 1.90 m with a tattoo on the right hand.", Consent: true},
		AllPartners: true}, false, ""},
	{"ba", alerts.AlertDraft{Kind: alerts.KindMissing, Sub: "child",
		Person: &alerts.WantedPerson{GivenName: "Amra", FamilyName: "Hodžić", DateOfBirth: "2012-06-21", Sex: "f", Description: "1.50 m, long dark hair, last seen in a red jacket"},
		Action: "Place the child in safety and inform the Bosnian NCU; do not hand over to the accompanying adult.", Reason: "Missing since 28 November 2026 from Tuzla.",
		Authority: "Ministry of Interior of Tuzla Canton", AllPartners: true}, false, ""},
	{"al", alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure",
		Object: &alerts.WantedObject{Type: "document_issued", DocNumber: "BA1234567", DocStatus: "stolen", Description: "Albanian passport"},
		Action: "Seize the document and identify the holder.", Reason: "Passport reported stolen in Durrës.", Authority: "State Police, Durrës", AllPartners: true}, false, ""},
}

// seedAlerts issues the demo alerts (drafted by the officer, validated by
// the prosecutor) and, once Montenegro holds its copy, flags the Serbian
// arrest alert there.
func (f *Federation) seedAlerts(ctx context.Context) error {
	byID := map[string]*app.Node{}
	agency := map[string]string{}
	for i, n := range f.Nodes {
		byID[n.Cfg.NodeID] = n
		agency[n.Cfg.NodeID] = f.Specs[i].Agency
	}
	var flagged, firearm string
	byWarrant := map[string]string{}
	for _, d := range demoAlerts {
		n := byID[d.from]
		if n == nil {
			continue
		}
		if d.photo {
			d.draft.Photo = demoPortrait()
		}
		if id := byWarrant[d.from+"/"+d.link]; d.link != "" && id != "" {
			d.draft.Links = []string{id}
		}
		officer := &auth.Principal{Username: "officer", Agency: agency[d.from], Roles: []auth.Role{auth.RoleOfficer}}
		prosecutor := &auth.Principal{Username: "prosecutor", Agency: agency[d.from], Roles: []auth.Role{auth.RoleProsecutor}}
		a, err := n.Alerts.Create(ctx, officer, d.draft)
		if err != nil {
			return err
		}
		if _, err := n.Alerts.Validate(ctx, prosecutor, a.ID); err != nil {
			return err
		}
		if d.draft.WarrantRef != "" {
			byWarrant[d.from+"/"+d.draft.WarrantRef] = a.ID
		}
		if d.from == "rs" && d.draft.Kind == alerts.KindArrest {
			flagged = a.ID
		}
		if d.from == "rs" && d.draft.Object != nil && d.draft.Object.Type == "firearm" {
			firearm = a.ID
		}
	}
	me := byID["me"]
	if flagged == "" || me == nil || byID["rs"] == nil {
		return nil
	}
	ncu := &auth.Principal{Username: "ncu", Agency: agency["me"], Roles: []auth.Role{auth.RoleNCUOperator}}
	held := false
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !held; time.Sleep(100 * time.Millisecond) {
		_, err1 := me.Alerts.Get(ctx, ncu, flagged)
		_, err2 := me.Alerts.Get(ctx, ncu, firearm)
		held = err1 == nil && err2 == nil
	}
	if !held {
		return nil // a slow machine: the demo runs without the flag and the seizure
	}
	if _, err := me.Alerts.Flag(ctx, ncu, flagged, "The offence is time-barred under Montenegrin law; the person will not be arrested here.", false); err != nil {
		return err
	}
	// The pistol stolen in Serbia is seized in Montenegro: the record hits
	// the Serbian alert and the hit report waits at Montenegro's NCU.
	officer := &auth.Principal{Username: "officer", Agency: agency["me"], Roles: []auth.Role{auth.RoleOfficer}}
	_, err := me.Alerts.RecordFirearm(ctx, officer, alerts.FirearmInput{Manufacturer: "Česká zbrojovka", CountryMade: "CZ", Serial: "CZ75-B-123456",
		Model: "75 B", Calibre: "9×19 mm", Type: "pistol", Status: "seized", Place: "Port of Bar, vehicle inspection", Route: "Albania – Montenegro – Croatia"})
	return err
}

// demoPortrait draws a synthetic head-and-shoulders silhouette (PNG) for
// the demo alert's photo: no real person's image is used.
func demoPortrait() []byte {
	const w, h = 160, 200
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bg, skin, coat := color.RGBA{0xd8, 0xdd, 0xe3, 0xff}, color.RGBA{0x9a, 0x7b, 0x66, 0xff}, color.RGBA{0x33, 0x3d, 0x4a, 0xff}
	for y := range h {
		for x := range w {
			c := bg
			dx, dy := float64(x-w/2), float64(y-78)
			switch {
			case dx*dx/(34*34)+dy*dy/(44*44) <= 1: // head
				c = skin
			case y > 132 && (float64(x-w/2)*float64(x-w/2))/(70*70)+float64(y-h)*float64(y-h)/(68*68) <= 1: // shoulders
				c = coat
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // cannot fail on an in-memory RGBA image
	return b.Bytes()
}
