package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// ApplyReport says what a peer's snapshot changed. Refused records are
// listed with the reason, never dropped silently.
type ApplyReport struct {
	Inserted int      `json:"inserted"`
	Updated  int      `json:"updated"`
	Current  int      `json:"current" doc:"already at this version or newer"`
	Refused  []string `json:"refused"`
}

// ApplySnapshot takes in the records a peer node published about itself
// (its Snapshot). Only records the peer owns are accepted, and only for
// countries or mechanisms the peer is the authority for; a record is
// replaced only by a higher version. The federation layer calls this when
// a "directory.snapshot" envelope arrives from a verified peer.
func (s *Service) ApplySnapshot(ctx context.Context, from string, doc ExportDoc) (ApplyReport, error) {
	const op = "directory.ApplySnapshot"
	rep := ApplyReport{Refused: []string{}}
	switch {
	case from == "" || from == s.node:
		return rep, errs.New(errs.Invalid, op, "a node does not take its own records from a peer")
	case doc.Format != "liaison-directory" || doc.Version != 1:
		return rep, errs.Newf(errs.Invalid, op, "unsupported snapshot format %q version %d", textutil.Ellipsis(doc.Format, 40), doc.Version)
	case doc.Owner != from:
		return rep, errs.Newf(errs.Invalid, op, "the snapshot is of node %q but came from %q", textutil.Ellipsis(doc.Owner, 40), textutil.Ellipsis(from, 40))
	}
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		nodes, err := countryNodes(ctx, tx)
		if err != nil {
			return err
		}
		a := &snapshotApply{s: s, tx: tx, from: from, nodes: nodes, rep: &rep}
		// Mechanisms first (contact points refer to them).
		for _, step := range []func(context.Context, ExportDoc) error{a.mechanisms, a.agencies, a.contactPoints, a.agreements} {
			if err := step(ctx, doc); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("from=%s inserted=%d updated=%d current=%d refused=%d", from, rep.Inserted, rep.Updated, rep.Current, len(rep.Refused))
		if len(rep.Refused) > 0 {
			detail += ": " + strings.Join(rep.Refused, "; ")
		}
		return s.recordTx(ctx, tx, nil, "directory.replicate", "directory/peer/"+from, detail)
	})
	if err != nil {
		return ApplyReport{Refused: []string{}}, dbErr(op, err)
	}
	return rep, nil
}

// snapshotApply applies one peer's snapshot inside one transaction, record
// kind by record kind, counting and explaining what it refuses.
type snapshotApply struct {
	s     *Service
	tx    *store.Tx
	from  string
	nodes map[string]string // country → the node that is its authority
	rep   *ApplyReport
}

const applyOp = "directory.ApplySnapshot"

func (a *snapshotApply) refuse(kind, id, why string) {
	a.rep.Refused = append(a.rep.Refused, kind+" "+id+": "+why)
}

// authority is the node that owns a country's entries, "" when none does
// or the country is unknown here.
func (a *snapshotApply) authority(country string) string { return a.nodes[country] }

// state compares a peer record with the local row of the same ID:
// "missing", "foreign" (another node's), "current" or "older".
func (a *snapshotApply) state(ctx context.Context, table, id string, version int64) (string, error) {
	localOwner, localVersion, err := rowOwnerVersion(ctx, a.tx, table, id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "missing", nil
	case err != nil:
		return "", err
	case localOwner != a.from:
		return "foreign", nil
	case localVersion >= version:
		return "current", nil
	}
	return "older", nil
}

// skip reports whether a record needs no write (refusing a foreign one),
// after reading its state.
func (a *snapshotApply) skip(ctx context.Context, kind, table, id string, version int64) (state string, skip bool, err error) {
	st, err := a.state(ctx, table, id, version)
	switch {
	case err != nil:
		return "", true, err
	case st == "foreign":
		a.refuse(kind, id, "a record with this ID belongs to another node here")
		return st, true, nil
	case st == "current":
		a.rep.Current++
		return st, true, nil
	}
	return st, false, nil
}

// counted adds a write to the report by the record's earlier state.
func (a *snapshotApply) counted(state string) {
	if state == "missing" {
		a.rep.Inserted++
	} else {
		a.rep.Updated++
	}
}

func (a *snapshotApply) mechanisms(ctx context.Context, doc ExportDoc) error {
	s, tx, from := a.s, a.tx, a.from
	ms := append([]Mechanism(nil), doc.Mechanisms...)
	sort.SliceStable(ms, func(i, j int) bool { return ms[i].ParentID == "" && ms[j].ParentID != "" }) // parents first
	for _, m := range ms {
		if m.OwnerNode != from {
			a.refuse("mechanism", m.ID, "owned by "+m.OwnerNode+", not by the sender")
			continue
		}
		st, skip, err := a.skip(ctx, "mechanism", "dir_mechanisms", m.ID, m.Version)
		if err != nil || skip {
			if err != nil {
				return err
			}
			continue
		}
		in := MechanismInput{Code: m.Code, Name: m.Name, FormerNames: m.FormerNames, Kind: m.Kind, Purpose: m.Purpose, Members: m.Members, Founded: m.Founded, Themes: m.Themes,
			SecretariatCity: m.SecretariatCity, SecretariatCountry: m.SecretariatCountry, Website: m.Website, ParentID: m.ParentID, Status: m.Status, StatusNote: m.StatusNote, Sources: m.Sources}
		if in, err = s.cleanMechanism(ctx, tx, applyOp, in); err != nil {
			a.refuse("mechanism", m.ID, errs.SafeMessage(err))
			continue
		}
		// Checked first: on PostgreSQL a failed statement ends the transaction.
		if taken, err := mechanismCodeTaken(ctx, tx, in.Code, m.ID); err != nil || taken {
			if err != nil {
				return err
			}
			a.refuse("mechanism", m.ID, "another mechanism here already has the code "+in.Code)
			continue
		}
		if st == "missing" {
			err = s.insertMechanism(ctx, tx, m.ID, from, in, "", m.UpdatedBy)
		} else {
			err = replaceMechanismRow(ctx, tx, m.ID, in)
		}
		if err != nil {
			return err
		}
		a.counted(st)
		if err := s.stamp(ctx, tx, "dir_mechanisms", m.ID, m.Meta); err != nil {
			return err
		}
	}
	return nil
}

func (a *snapshotApply) agencies(ctx context.Context, doc ExportDoc) error {
	s, tx, from := a.s, a.tx, a.from
	as := append([]Agency(nil), doc.Agencies...)
	sort.SliceStable(as, func(i, j int) bool { return as[i].ParentID == "" && as[j].ParentID != "" }) // parents first
	for _, ag := range as {
		if ag.OwnerNode != from || a.authority(ag.Country) != from {
			a.refuse("agency", ag.ID, "node "+from+" is not the authority for "+ag.Country+" entries")
			continue
		}
		st, skip, err := a.skip(ctx, "agency", "dir_agencies", ag.ID, ag.Version)
		if err != nil || skip {
			if err != nil {
				return err
			}
			continue
		}
		in := AgencyInput{Country: ag.Country, Code: ag.Code, Name: ag.Name, LocalName: ag.LocalName, Acronym: ag.Acronym, Type: ag.Type, Jurisdiction: ag.Jurisdiction,
			ParentID: ag.ParentID, Languages: ag.Languages, Website: ag.Website, Sources: ag.Sources}
		if in, err = s.cleanAgency(ctx, tx, applyOp, in); err == nil {
			err = s.duplicateAgency(ctx, tx, applyOp, in, ag.ID)
		}
		if err != nil {
			a.refuse("agency", ag.ID, errs.SafeMessage(err))
			continue
		}
		if st == "missing" {
			err = s.insertAgency(ctx, tx, ag.ID, from, in, "", ag.UpdatedBy)
		} else {
			err = replaceAgencyRow(ctx, tx, ag.ID, in, agencySearch(in, s.countryWords(ctx, tx, in.Country)))
		}
		if err != nil {
			return err
		}
		a.counted(st)
		if err := s.stamp(ctx, tx, "dir_agencies", ag.ID, ag.Meta); err != nil {
			return err
		}
	}
	return nil
}

func (a *snapshotApply) contactPoints(ctx context.Context, doc ExportDoc) error {
	s, tx, from := a.s, a.tx, a.from
	for _, c := range doc.ContactPoints {
		authority := c.OwnerNode == from && a.authority(c.Country) == from
		if !authority && c.MechanismID != "" && c.OwnerNode == from {
			// A regional mechanism's contact points belong to its owner.
			m, err := s.mechanism(ctx, tx, c.MechanismID)
			authority = err == nil && m.OwnerNode == from
		}
		if !authority {
			a.refuse("contact point", c.ID, "node "+from+" is not the authority for "+c.Country+" entries")
			continue
		}
		st, skip, err := a.skip(ctx, "contact point", "dir_contact_points", c.ID, c.Version)
		if err != nil || skip {
			if err != nil {
				return err
			}
			continue
		}
		in := ContactPointInput{Country: c.Country, AgencyID: c.AgencyID, MechanismID: c.MechanismID, Role: c.Role, Title: c.Title, Channels: c.Channels, Languages: c.Languages,
			AlwaysOn: c.AlwaysOn, Hours: c.Hours, TimeZone: c.TimeZone, HolderName: c.Holder.Name, HolderTitle: c.Holder.Title, HolderSince: string(c.HolderSince),
			DeputyName: c.Deputy.Name, DeputyTitle: c.Deputy.Title, Notes: c.Notes, Sources: c.Sources}
		if in, err = s.cleanContact(ctx, tx, applyOp, in); err != nil {
			a.refuse("contact point", c.ID, errs.SafeMessage(err))
			continue
		}
		if st == "missing" {
			err = s.insertContact(ctx, tx, c.ID, from, in, "", c.UpdatedBy)
		} else {
			err = replaceContactRow(ctx, tx, c.ID, in, s.contactSearch(ctx, tx, in))
		}
		if err != nil {
			return err
		}
		a.counted(st)
		// Staleness travels with the record: the owner's confirmation date.
		if err := setContactConfirmation(ctx, tx, c.ID, c.ConfirmedAt, c.ConfirmedBy); err != nil {
			return err
		}
		if err := s.stamp(ctx, tx, "dir_contact_points", c.ID, c.Meta); err != nil {
			return err
		}
	}
	return nil
}

func (a *snapshotApply) agreements(ctx context.Context, doc ExportDoc) error {
	s, tx, from := a.s, a.tx, a.from
	for _, ag := range doc.Agreements {
		if ag.OwnerNode != from {
			a.refuse("agreement", ag.ID, "owned by "+ag.OwnerNode+", not by the sender")
			continue
		}
		st, skip, err := a.skip(ctx, "agreement", "dir_agreements", ag.ID, ag.Version)
		if err != nil || skip {
			if err != nil {
				return err
			}
			continue
		}
		in := AgreementInput{Title: ag.Title, ShortName: ag.ShortName, Types: ag.Types, Multilateral: ag.Multilateral, Parties: ag.Parties, Signed: string(ag.Signed), Ratified: string(ag.Ratified),
			InForce: string(ag.InForce), Ended: string(ag.Ended), LegalBasis: ag.LegalBasis, Scope: ag.Scope, MechanismID: ag.MechanismID, Status: ag.Status, StatusNote: ag.StatusNote, Sources: ag.Sources}
		c, err := s.cleanAgreement(ctx, tx, applyOp, in)
		if err != nil {
			a.refuse("agreement", ag.ID, errs.SafeMessage(err))
			continue
		}
		if taken, err := agreementTitleTaken(ctx, tx, c.Title, ag.ID); err != nil || taken {
			if err != nil {
				return err
			}
			a.refuse("agreement", ag.ID, "another agreement here already has the title "+c.Title)
			continue
		}
		if st == "missing" {
			err = s.insertAgreement(ctx, tx, ag.ID, from, c, "", ag.UpdatedBy)
		} else {
			err = replaceAgreementRow(ctx, tx, ag.ID, c)
		}
		if err != nil {
			return err
		}
		a.counted(st)
		if err := s.stamp(ctx, tx, "dir_agreements", ag.ID, ag.Meta); err != nil {
			return err
		}
	}
	return nil
}
