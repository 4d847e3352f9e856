package cases

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
)

// FollowTheMoney (FtM) is the entity format of investigative tools such as
// Aleph: one JSON object per line, {"id", "schema", "properties": {name:
// [values]}}. Thing schemas become entities; interval schemas (Ownership,
// Membership, Directorship, Employment, Payment, Family, Associate,
// UnknownLink) become relations.
type ftmEntity struct {
	ID         string              `json:"id"`
	Schema     string              `json:"schema"`
	Properties map[string][]string `json:"properties"`
}

// ftmThing maps an FtM thing schema to a kind and FtM properties to fields.
var ftmThing = map[string]struct {
	kind  entity.Kind
	props map[string]string
}{
	"Person": {entity.KindPerson, map[string]string{"firstName": match.ColGiven, "lastName": match.ColFamily, "name": match.ColFull, "fatherName": match.ColFather,
		"birthDate": match.ColDOB, "gender": match.ColSex, "idNumber": match.ColPersonalID, "nationality": match.ColNationality, "phone": match.ColPhone,
		"address": match.ColAddress1, "country": match.ColCountry}},
	"Company":      {entity.KindOrganisation, map[string]string{"name": "name", "registrationNumber": "reg_no", "taxNumber": "reg_no", "jurisdiction": "country", "country": "country"}},
	"Organization": {entity.KindOrganisation, map[string]string{"name": "name", "registrationNumber": "reg_no", "taxNumber": "reg_no", "jurisdiction": "country", "country": "country"}},
	"LegalEntity":  {entity.KindOrganisation, map[string]string{"name": "name", "registrationNumber": "reg_no", "taxNumber": "reg_no", "jurisdiction": "country", "country": "country"}},
	"Vehicle":      {entity.KindVehicle, map[string]string{"registrationNumber": "plate", "model": "model", "type": "make", "country": "country"}},
	"BankAccount":  {entity.KindAccount, map[string]string{"iban": "iban", "accountNumber": "number", "bankName": "bank"}},
	"Passport":     {entity.KindDocument, map[string]string{"passportNumber": "number", "number": "number", "country": "country", "type": "doc_type"}},
	"Identification": {entity.KindDocument, map[string]string{"number": "number", "country": "country", "type": "doc_type",
		"startDate": "issued", "endDate": "expires"}},
	"Address": {entity.KindAddress, map[string]string{"street": match.ColAddress1, "full": match.ColAddress1, "city": match.ColCity, "postalCode": match.ColPostcode, "country": match.ColCountry}},
}

// ftmInterval maps FtM relation schemas to relation types and their two ends.
var ftmInterval = map[string]struct{ typ, from, to string }{
	"Ownership":    {"owns", "owner", "asset"},
	"Membership":   {"member_of", "member", "organization"},
	"Directorship": {"member_of", "director", "organization"},
	"Employment":   {"member_of", "employee", "employer"},
	"Payment":      {"paid", "payer", "beneficiary"},
	"Family":       {"related_to", "person", "relative"},
	"Associate":    {"related_to", "person", "associate"},
	"UnknownLink":  {"related_to", "subject", "object"},
	"Call":         {"called", "caller", "receiver"},
}

// ParseFtM reads FollowTheMoney entities (JSON lines, or one JSON array).
// Unknown schemas and malformed lines are returned as rejected rows.
func ParseFtM(r io.Reader) ([]importRow, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	first, _ := br.Peek(64)
	var objs []json.RawMessage
	var rows []importRow
	if t := bytes.TrimLeft(first, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '[' {
		if err := json.NewDecoder(br).Decode(&objs); err != nil {
			return nil, errs.Newf(errs.Invalid, "cases.ParseFtM", "the file is not a JSON array of FollowTheMoney entities: %v", err)
		}
	} else {
		sc := bufio.NewScanner(br)
		sc.Buffer(make([]byte, 1<<20), 8<<20)
		for sc.Scan() {
			objs = append(objs, json.RawMessage(bytes.Clone(sc.Bytes())))
		}
		if err := sc.Err(); err != nil {
			return nil, errs.Newf(errs.Invalid, "cases.ParseFtM", "line %d: %v", len(objs)+1, err)
		}
	}
	for i, raw := range objs {
		n := i + 1
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		var fe ftmEntity
		if err := json.Unmarshal(raw, &fe); err != nil {
			rows = append(rows, importRow{row: n, err: &RejectedRow{Row: n, Msg: "not a FollowTheMoney entity: " + err.Error()}})
			continue
		}
		rows = append(rows, ftmRow(n, fe))
	}
	return rows, nil
}

func ftmRow(n int, fe ftmEntity) importRow {
	row := importRow{row: n, ref: fe.ID, colOf: map[string]string{}}
	if fe.ID == "" {
		row.err = &RejectedRow{Row: n, Column: "id", Msg: "an entity needs an id"}
		return row
	}
	if t, ok := ftmThing[fe.Schema]; ok {
		in := EntityInput{Kind: string(t.kind), Fields: map[string]string{}}
		for prop, vals := range fe.Properties {
			f, ok := t.props[prop]
			if !ok || len(vals) == 0 {
				continue
			}
			if _, set := in.Fields[f]; set {
				continue
			}
			in.Fields[f] = vals[0]
			row.colOf[f] = "properties." + prop
		}
		if t.kind == entity.KindPerson {
			// A Person's extra names are aliases; with first and last name
			// given, "name" is only the display form.
			names := append(fe.Properties["alias"], fe.Properties["weakAlias"]...)
			if in.Fields[match.ColGiven] != "" || in.Fields[match.ColFamily] != "" {
				delete(in.Fields, match.ColFull)
			}
			if len(fe.Properties["name"]) > 1 {
				names = append(names, fe.Properties["name"][1:]...)
			}
			in.Aliases = names
			if v := in.Fields[match.ColSex]; v == "other" {
				delete(in.Fields, match.ColSex)
			}
		} else if t.kind == entity.KindOrganisation {
			if len(fe.Properties["name"]) > 1 {
				in.Aliases = fe.Properties["name"][1:]
			}
			in.Aliases = append(in.Aliases, fe.Properties["alias"]...)
		}
		row.entity = &in
		return row
	}
	if t, ok := ftmInterval[fe.Schema]; ok {
		from, to := first(fe.Properties[t.from]), first(fe.Properties[t.to])
		if from == "" || to == "" {
			row.err = &RejectedRow{Row: n, Column: "properties." + t.from, Msg: fmt.Sprintf("a %s needs %s and %s", fe.Schema, t.from, t.to)}
			return row
		}
		row.relation = &importRelation{from: from, to: to, typ: t.typ, note: first(fe.Properties["role"])}
		return row
	}
	row.err = &RejectedRow{Row: n, Column: "schema", Msg: fmt.Sprintf("schema %q is not supported (Person, Company, Organization, LegalEntity, Vehicle, BankAccount, Passport, Identification, Address and the relation schemas are)", fe.Schema)}
	return row
}

func first(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// ExportFtM writes every active entity and relation as FollowTheMoney
// JSON lines. Export is audited.
func (s *Service) ExportFtM(ctx context.Context, p *auth.Principal, w io.Writer) (int, error) {
	const op = "cases.ExportFtM"
	if err := s.record(ctx, entry(p, "cases.export", "cases/ftm", "", "")); err != nil {
		return 0, err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	n := 0
	var encErr error
	err := eachLiveEntity(ctx, s.d.Store, func(e Entity) error {
		if err := enc.Encode(toFtM(e)); err != nil {
			encErr = err
			return err
		}
		n++
		return nil
	})
	if encErr != nil {
		return n, encErr
	}
	if err != nil {
		return n, unavailable(op, err)
	}
	rels, err := allRelations(ctx, s.d.Store)
	if err != nil {
		return n, unavailable(op, err)
	}
	for _, r := range rels {
		schema := map[string]string{"owns": "Ownership", "member_of": "Membership", "paid": "Payment", "called": "Call", "related_to": "UnknownLink",
			"uses": "UnknownLink", "travelled_with": "Associate"}[r.Type]
		t := ftmInterval[schema]
		props := map[string][]string{t.from: {"lia-" + r.From}, t.to: {"lia-" + r.To}}
		if r.Note != "" || r.Type == "uses" || r.Type == "travelled_with" {
			props["role"] = []string{strings.TrimSpace(r.Type + " " + r.Note)}
		}
		if err := enc.Encode(ftmEntity{ID: "lia-rel-" + r.ID, Schema: schema, Properties: props}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func toFtM(e Entity) ftmEntity {
	schema := map[string]string{"person": "Person", "organisation": "Company", "vehicle": "Vehicle", "account": "BankAccount", "document": "Identification",
		"address": "Address", "phone": "UnknownLink", "weapon": "UnknownLink"}[e.Kind]
	props := map[string][]string{}
	if t, ok := ftmThing[schema]; ok {
		for prop, f := range t.props {
			if v := e.Fields[f]; v != "" {
				if _, dup := props[prop]; dup {
					continue
				}
				// Keep one property per field, preferring the canonical one.
				if other := canonicalProp(schema, f); other != "" && other != prop {
					continue
				}
				props[prop] = []string{v}
			}
		}
	}
	switch e.Kind {
	case "person":
		if _, ok := props["name"]; !ok {
			props["name"] = []string{strings.TrimSpace(e.Fields[match.ColGiven] + " " + e.Fields[match.ColFamily])}
		}
		if len(e.Aliases) > 0 {
			props["alias"] = e.Aliases
		}
	case "organisation":
		if len(e.Aliases) > 0 {
			props["alias"] = e.Aliases
		}
	case "phone", "weapon":
		// FtM has no phone or weapon schema: export as a note on a thing.
		schema = "Note"
		props = map[string][]string{"description": {e.Kind + ": " + e.Label}}
	}
	return ftmEntity{ID: "lia-" + e.ID, Schema: schema, Properties: props}
}

func canonicalProp(schema, field string) string {
	switch {
	case field == "reg_no":
		return "registrationNumber"
	case field == "country" && (schema == "Company"):
		return "jurisdiction"
	case field == "number" && schema == "Identification":
		return "number"
	case field == match.ColAddress1 && schema == "Address":
		return "street"
	}
	return ""
}
