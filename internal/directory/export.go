package directory

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// ExportDoc is the whole directory as one JSON document. The same shape,
// filtered to one owner, is what a node publishes to its peers.
type ExportDoc struct {
	Format        string         `json:"format"`
	Version       int            `json:"version"`
	Node          string         `json:"node"`
	Owner         string         `json:"owner,omitempty" doc:"set when only one node's own records are included"`
	ExportedAt    time.Time      `json:"exported_at"`
	Countries     []Country      `json:"countries"`
	Agencies      []Agency       `json:"agencies"`
	ContactPoints []ContactPoint `json:"contact_points"`
	Mechanisms    []Mechanism    `json:"mechanisms"`
	Agreements    []Agreement    `json:"agreements"`
}

// ExportKinds are the record kinds a CSV export can hold (one per file).
var ExportKinds = []string{"countries", "agencies", "contact-points", "mechanisms", "agreements"}

func (s *Service) document(ctx context.Context, owner string) (ExportDoc, error) {
	d := ExportDoc{Format: "liaison-directory", Version: 1, Node: s.node, Owner: owner, ExportedAt: s.clock.Now()}
	var err error
	if d.Countries, err = s.countries(ctx); err != nil {
		return d, err
	}
	if d.Agencies, err = s.agencies(ctx, AgencyFilter{}); err != nil {
		return d, err
	}
	if err := s.applyDueHandovers(ctx); err != nil {
		return d, err
	}
	if d.ContactPoints, err = s.contacts(ctx, ContactFilter{}); err != nil {
		return d, err
	}
	if d.Mechanisms, err = s.mechanisms(ctx); err != nil {
		return d, err
	}
	if d.Agreements, err = s.agreements(ctx); err != nil {
		return d, err
	}
	if owner != "" {
		d.Countries = filter(d.Countries, func(c Country) bool { return c.OwnerNode == owner })
		d.Agencies = filter(d.Agencies, func(a Agency) bool { return a.OwnerNode == owner })
		d.ContactPoints = filter(d.ContactPoints, func(c ContactPoint) bool { return c.OwnerNode == owner })
		d.Mechanisms = filter(d.Mechanisms, func(m Mechanism) bool { return m.OwnerNode == owner })
		d.Agreements = filter(d.Agreements, func(a Agreement) bool { return a.OwnerNode == owner })
	}
	return d, nil
}

// Snapshot is this node's own records, for publishing to peers: each node
// is the authority for its own entries and never republishes others'.
func (s *Service) Snapshot(ctx context.Context) (ExportDoc, error) { return s.document(ctx, s.node) }

// Export renders the directory as JSON (everything) or CSV (one kind).
// It returns the body, its media type and a file name.
func (s *Service) Export(ctx context.Context, p *auth.Principal, format, kind string) ([]byte, string, string, error) {
	const op = "directory.Export"
	format = strings.ToLower(strings.TrimSpace(format))
	kind = strings.ToLower(strings.TrimSpace(kind))
	if format == "" {
		format = "json"
	}
	if kind != "" && !slices.Contains(ExportKinds, kind) {
		return nil, "", "", errs.Newf(errs.Invalid, op, "kind %q is not known; use one of %s", textutil.Ellipsis(kind, 30), strings.Join(ExportKinds, ", "))
	}
	d, err := s.document(ctx, "")
	if err != nil {
		return nil, "", "", err
	}
	stamp := d.ExportedAt.Format("20060102")
	var body []byte
	var mediaType, name string
	switch format {
	case "json":
		if kind != "" {
			keep := map[string]bool{kind: true}
			if !keep["countries"] {
				d.Countries = []Country{}
			}
			if !keep["agencies"] {
				d.Agencies = []Agency{}
			}
			if !keep["contact-points"] {
				d.ContactPoints = []ContactPoint{}
			}
			if !keep["mechanisms"] {
				d.Mechanisms = []Mechanism{}
			}
			if !keep["agreements"] {
				d.Agreements = []Agreement{}
			}
		}
		body, err = json.MarshalIndent(d, "", "  ")
		if err != nil {
			return nil, "", "", errs.Wrap(errs.Internal, op, "", err)
		}
		mediaType, name = "application/json", fmt.Sprintf("liaison-directory-%s-%s.json", s.node, stamp)
	case "csv":
		if kind == "" {
			return nil, "", "", errs.Newf(errs.Invalid, op, "a CSV file holds one kind of record; choose kind %s", strings.Join(ExportKinds, ", "))
		}
		body, err = csvOf(d, kind)
		if err != nil {
			return nil, "", "", errs.Wrap(errs.Internal, op, "", err)
		}
		mediaType, name = "text/csv; charset=utf-8", fmt.Sprintf("liaison-directory-%s-%s-%s.csv", kind, s.node, stamp)
	default:
		return nil, "", "", errs.Newf(errs.Invalid, op, "format %q is not supported; use json or csv", textutil.Ellipsis(format, 20))
	}
	return body, mediaType, name, s.record(ctx, p, "directory.export", "directory/export", "format="+format+" kind="+kind)
}

func csvOf(d ExportDoc, kind string) ([]byte, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	j := func(l []string) string { return strings.Join(l, "; ") }
	t := func(v time.Time) string { return store.FormatTime(v) }
	v := func(n int64) string { return strconv.FormatInt(n, 10) }
	var rows [][]string
	switch kind {
	case "countries":
		rows = append(rows, []string{"code", "name", "local_names", "kind", "parent", "node", "time_zone", "languages", "owner_node", "version", "updated_at", "sources"})
		for _, c := range d.Countries {
			rows = append(rows, []string{c.Code, c.Name, j(c.LocalNames), c.Kind, c.Parent, c.Node, c.TimeZone, j(c.Languages), c.OwnerNode, v(c.Version), t(c.UpdatedAt), j(c.Sources)})
		}
	case "agencies":
		rows = append(rows, []string{"id", "country", "code", "name", "local_name", "acronym", "type", "jurisdiction", "parent_id", "languages", "website", "owner_node", "version", "updated_at", "sources"})
		for _, a := range d.Agencies {
			rows = append(rows, []string{a.ID, a.Country, a.Code, a.Name, a.LocalName, a.Acronym, a.Type, a.Jurisdiction, a.ParentID, j(a.Languages), a.Website, a.OwnerNode, v(a.Version), t(a.UpdatedAt), j(a.Sources)})
		}
	case "contact-points":
		rows = append(rows, []string{"id", "country", "agency", "role", "title", "holder", "holder_title", "holder_since", "deputy", "deputy_title", "channels", "languages", "hours", "time_zone", "confirmed_at", "stale", "owner_node", "version", "updated_at", "sources"})
		for _, c := range d.ContactPoints {
			var ch []string
			for _, x := range c.Channels {
				ch = append(ch, x.Kind+": "+x.Value)
			}
			hours := c.Hours
			if c.AlwaysOn {
				hours = "24/7"
			}
			rows = append(rows, []string{c.ID, c.Country, c.AgencyName, c.Role, c.Title, c.Holder.Name, c.Holder.Title, string(c.HolderSince), c.Deputy.Name, c.Deputy.Title,
				j(ch), j(c.Languages), hours, c.TimeZone, t(c.ConfirmedAt), strconv.FormatBool(c.Stale), c.OwnerNode, v(c.Version), t(c.UpdatedAt), j(c.Sources)})
		}
	case "mechanisms":
		rows = append(rows, []string{"id", "code", "name", "former_names", "kind", "founded", "members", "themes", "secretariat_city", "secretariat_country", "website", "status", "owner_node", "version", "updated_at", "sources"})
		for _, m := range d.Mechanisms {
			rows = append(rows, []string{m.ID, m.Code, m.Name, j(m.FormerNames), m.Kind, strconv.Itoa(m.Founded), j(m.Members), j(m.Themes), m.SecretariatCity, m.SecretariatCountry, m.Website, m.Status, m.OwnerNode, v(m.Version), t(m.UpdatedAt), j(m.Sources)})
		}
	case "agreements":
		rows = append(rows, []string{"id", "title", "short_name", "types", "multilateral", "parties", "signed", "ratified", "in_force", "ended", "status", "legal_basis", "owner_node", "version", "updated_at", "sources"})
		for _, a := range d.Agreements {
			var ps []string
			for _, p := range a.Parties {
				ps = append(ps, p.Country)
			}
			rows = append(rows, []string{a.ID, a.Title, a.ShortName, j(a.Types), strconv.FormatBool(a.Multilateral), j(ps), string(a.Signed), string(a.Ratified), string(a.InForce), string(a.Ended), a.Status, a.LegalBasis, a.OwnerNode, v(a.Version), t(a.UpdatedAt), j(a.Sources)})
		}
	}
	for i, r := range rows {
		if i > 0 {
			for k := range r {
				r[k] = textutil.SpreadsheetSafe(r[k])
			}
		}
		if err := w.Write(r); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}
