package alerts

import (
	"context"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Firearm types and statuses.
var (
	FirearmTypes    = []string{"pistol", "revolver", "rifle", "shotgun", "assault_rifle", "submachine_gun", "machine_gun", "other"}
	FirearmStatuses = []string{"lost", "stolen", "trafficked", "seized", "deactivated", "destroyed"}
)

// Firearm is a firearm record of this node.
type Firearm struct {
	ID            string    `json:"id"`
	Manufacturer  string    `json:"manufacturer"`
	CountryMade   string    `json:"country_of_manufacture,omitempty"`
	Serial        string    `json:"serial"`
	Year          int       `json:"year,omitempty"`
	Model         string    `json:"model,omitempty"`
	Calibre       string    `json:"calibre,omitempty"`
	Type          string    `json:"type"`
	ImportMarking string    `json:"import_marking,omitempty"`
	Status        string    `json:"status"`
	Persons       []string  `json:"persons"`
	CaseRefs      []string  `json:"case_refs"`
	Place         string    `json:"place,omitempty" doc:"where it was lost, stolen or seized"`
	Route         string    `json:"route,omitempty" doc:"trafficking route, for seizures"`
	EventAt       time.Time `json:"event_at,omitzero"`
	Agency        string    `json:"agency"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
}

// FirearmInput records a firearm.
type FirearmInput struct {
	Manufacturer  string   `json:"manufacturer" maxLength:"100"`
	CountryMade   string   `json:"country_of_manufacture,omitempty" maxLength:"3" doc:"ISO country code"`
	Serial        string   `json:"serial" minLength:"1" maxLength:"60"`
	Year          int      `json:"year,omitempty" minimum:"0" maximum:"2100"`
	Model         string   `json:"model,omitempty" maxLength:"100"`
	Calibre       string   `json:"calibre,omitempty" maxLength:"40"`
	Type          string   `json:"type" enum:"pistol,revolver,rifle,shotgun,assault_rifle,submachine_gun,machine_gun,other"`
	ImportMarking string   `json:"import_marking,omitempty" maxLength:"100"`
	Status        string   `json:"status" enum:"lost,stolen,trafficked,seized,deactivated,destroyed"`
	Persons       []string `json:"persons,omitempty" maxItems:"20"`
	CaseRefs      []string `json:"case_refs,omitempty" maxItems:"20"`
	Place         string   `json:"place,omitempty" maxLength:"300"`
	Route         string   `json:"route,omitempty" maxLength:"300"`
}

// FirearmResult is a recorded firearm with the alerts its serial number
// hit (for a seized firearm) and the hit reports sent to their issuers.
type FirearmResult struct {
	Firearm Firearm      `json:"firearm"`
	Hits    []CheckMatch `json:"hits"`
	Reports []HitReport  `json:"reports" doc:"hit reports filed to the owner countries"`
}

const firearmCols = `id, manufacturer, country_made, serial, year, model, calibre, type, import_marking, status, persons, case_refs, place, route, event_at, agency, created_by, created_at`

func scanFirearm(row interface{ Scan(...any) error }) (Firearm, error) {
	var f Firearm
	var jc store.JSONColumns
	var persons, cases, eventAt, created string
	err := row.Scan(&f.ID, &f.Manufacturer, &f.CountryMade, &f.Serial, &f.Year, &f.Model, &f.Calibre, &f.Type, &f.ImportMarking, &f.Status, &persons, &cases,
		&f.Place, &f.Route, &eventAt, &f.Agency, &f.CreatedBy, &created)
	if err != nil {
		return f, err
	}
	jc.Decode("persons", persons, &f.Persons)
	jc.Decode("case_refs", cases, &f.CaseRefs)
	if f.Persons == nil {
		f.Persons = []string{}
	}
	if f.CaseRefs == nil {
		f.CaseRefs = []string{}
	}
	f.EventAt, f.CreatedAt = pt(eventAt), pt(created)
	return f, jc.Err("alerts.firearm", "firearm "+f.ID)
}

// RecordFirearm records a firearm. A seized firearm is checked at once
// against every alert in force on this node — the partners' lost and
// stolen firearms among them — and each hit on a partner's alert is
// reported to its owner country through both NCUs.
func (s *Service) RecordFirearm(ctx context.Context, actor *auth.Principal, in FirearmInput) (FirearmResult, error) {
	const op = "alerts.RecordFirearm"
	if err := auth.Authorize(actor, auth.ActFirearmsEdit); err != nil {
		return FirearmResult{}, err
	}
	var f Firearm
	var err error
	for _, x := range []struct {
		v    *string
		in   string
		name string
		max  int
		req  bool
	}{{&f.Manufacturer, in.Manufacturer, "manufacturer", 100, false}, {&f.Serial, in.Serial, "serial number", 60, true}, {&f.Model, in.Model, "model", 100, false},
		{&f.Calibre, in.Calibre, "calibre", 40, false}, {&f.ImportMarking, in.ImportMarking, "import marking", 100, false}, {&f.Place, in.Place, "place", 300, false},
		{&f.Route, in.Route, "route", 300, false}} {
		if *x.v, err = validate.Field(op, x.name, x.in, x.max, x.req); err != nil {
			return FirearmResult{}, err
		}
	}
	if len(identNorm(f.Serial)) < 3 {
		return FirearmResult{}, errs.New(errs.Invalid, op, "the serial number needs at least three letters or digits")
	}
	f.CountryMade = strings.ToUpper(strings.TrimSpace(in.CountryMade))
	if len(f.CountryMade) > 3 {
		return FirearmResult{}, errs.New(errs.Invalid, op, "the country of manufacture is an ISO code, e.g. RS, AT, US")
	}
	if in.Year < 0 || in.Year > s.d.Clock.Now().Year() {
		return FirearmResult{}, errs.New(errs.Invalid, op, "the year of manufacture is not plausible")
	}
	f.Year = in.Year
	if f.Type = strings.TrimSpace(in.Type); !slices.Contains(FirearmTypes, f.Type) {
		return FirearmResult{}, errs.Newf(errs.Invalid, op, "the type is one of %s", strings.Join(FirearmTypes, ", "))
	}
	if f.Status = strings.TrimSpace(in.Status); !slices.Contains(FirearmStatuses, f.Status) {
		return FirearmResult{}, errs.Newf(errs.Invalid, op, "the status is one of %s", strings.Join(FirearmStatuses, ", "))
	}
	if f.Persons, err = validate.List(op, "persons", in.Persons, 20, 200); err != nil {
		return FirearmResult{}, err
	}
	if f.CaseRefs, err = validate.List(op, "case references", in.CaseRefs, 20, 100); err != nil {
		return FirearmResult{}, err
	}
	now := s.d.Clock.Now()
	f.ID, f.EventAt, f.Agency, f.CreatedBy, f.CreatedAt = store.NewID(), now, actor.Agency, actor.Username, now
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertFirearm(ctx, tx, f); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.firearm.record", "firearm/"+f.ID, f.Status+" "+f.Type)
	})
	if err != nil {
		return FirearmResult{}, dbErr(op, "could not record the firearm", err)
	}
	res := FirearmResult{Firearm: f, Hits: []CheckMatch{}, Reports: []HitReport{}}
	if f.Status != "seized" {
		return res, nil
	}
	cr, err := s.Check(ctx, actor, f.Serial, "seized firearm "+f.ID)
	if err != nil {
		return res, err
	}
	for _, m := range cr.Matches {
		if m.Subject != "firearm" || m.Exact == "" {
			continue
		}
		res.Hits = append(res.Hits, m)
		if m.OriginNode == s.d.NodeID || !auth.Can(actor, auth.ActAlertsHit) {
			continue
		}
		place := f.Place
		if place == "" {
			place = "not recorded"
		}
		h, err := s.ReportHit(ctx, actor, m.AlertID, HitInput{Place: place, CheckedAt: now, CheckReason: "seized firearm, serial " + f.Serial,
			Route: f.Route, ActionTaken: "Firearm seized (record " + f.ID + ")"})
		if err != nil {
			return res, err
		}
		res.Reports = append(res.Reports, h)
	}
	return res, nil
}

// Firearms lists the firearms recorded by the caller's agency (all for
// the NCU), newest first.
func (s *Service) Firearms(ctx context.Context, actor *auth.Principal) ([]Firearm, error) {
	const op = "alerts.Firearms"
	if err := auth.Authorize(actor, auth.ActFirearmsView); err != nil {
		return nil, err
	}
	out, err := listFirearms(ctx, s.d.Store, agencyFilter(actor))
	if err != nil {
		return nil, unavailable(op, err)
	}
	return out, s.audit(ctx, actor, "alerts.firearm.list", "firearms", "")
}

// FirearmStat counts seized firearms by one dimension.
type FirearmStat struct {
	By    string `json:"by" enum:"type,origin,route"`
	Value string `json:"value"`
	Count int    `json:"count"`
}

// FirearmStats counts the seized firearms of this node by type, country
// of manufacture and route, for the analysis module.
func (s *Service) FirearmStats(ctx context.Context, actor *auth.Principal) ([]FirearmStat, error) {
	const op = "alerts.FirearmStats"
	if err := auth.Authorize(actor, auth.ActFirearmsView); err != nil {
		return nil, err
	}
	out := []FirearmStat{}
	for _, dim := range []struct{ by, col string }{{"type", "type"}, {"origin", "country_made"}, {"route", "route"}} {
		part, err := seizedFirearmsBy(ctx, s.d.Store, dim.col)
		if err != nil {
			return nil, unavailable(op, err)
		}
		for i := range part {
			part[i].By = dim.by
		}
		sort.Slice(part, func(i, j int) bool {
			if part[i].Count != part[j].Count {
				return part[i].Count > part[j].Count
			}
			return part[i].Value < part[j].Value
		})
		out = append(out, part...)
	}
	return out, s.audit(ctx, actor, "alerts.firearm.stats", "firearms", "dimensions="+strconv.Itoa(3))
}
