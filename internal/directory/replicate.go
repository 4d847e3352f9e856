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
	refuse := func(kind, id, why string) { rep.Refused = append(rep.Refused, kind+" "+id+": "+why) }
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		// authority is the node that owns a country's entries, "" when
		// none does or the country is unknown here.
		nodes, err := countryNodes(ctx, tx)
		if err != nil {
			return err
		}
		authority := func(code string) string { return nodes[code] }
		// state compares a peer record with the local row of the same ID.
		state := func(table, id, owner string, version int64) (string, error) {
			localOwner, localVersion, err := rowOwnerVersion(ctx, tx, table, id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				return "missing", nil
			case err != nil:
				return "", err
			case localOwner != owner:
				return "foreign", nil
			case localVersion >= version:
				return "current", nil
			}
			return "older", nil
		}
		// Mechanisms first (contact points refer to them), parents first.
		ms := append([]Mechanism(nil), doc.Mechanisms...)
		sort.SliceStable(ms, func(i, j int) bool { return ms[i].ParentID == "" && ms[j].ParentID != "" })
		for _, m := range ms {
			if m.OwnerNode != from {
				refuse("mechanism", m.ID, "owned by "+m.OwnerNode+", not by the sender")
				continue
			}
			st, err := state("dir_mechanisms", m.ID, from, m.Version)
			if err != nil {
				return err
			}
			if st == "foreign" || st == "current" {
				if st == "foreign" {
					refuse("mechanism", m.ID, "a record with this ID belongs to another node here")
				} else {
					rep.Current++
				}
				continue
			}
			in := MechanismInput{Code: m.Code, Name: m.Name, FormerNames: m.FormerNames, Kind: m.Kind, Purpose: m.Purpose, Members: m.Members, Founded: m.Founded, Themes: m.Themes,
				SecretariatCity: m.SecretariatCity, SecretariatCountry: m.SecretariatCountry, Website: m.Website, ParentID: m.ParentID, Status: m.Status, StatusNote: m.StatusNote, Sources: m.Sources}
			if in, err = s.cleanMechanism(ctx, tx, op, in); err != nil {
				refuse("mechanism", m.ID, errs.SafeMessage(err))
				continue
			}
			// Checked first: on PostgreSQL a failed statement ends the transaction.
			if taken, err := mechanismCodeTaken(ctx, tx, in.Code, m.ID); err != nil || taken {
				if err != nil {
					return err
				}
				refuse("mechanism", m.ID, "another mechanism here already has the code "+in.Code)
				continue
			}
			if st == "missing" {
				if err := s.insertMechanism(ctx, tx, m.ID, from, in, "", m.UpdatedBy); err != nil {
					return err
				}
				rep.Inserted++
			} else {
				if err := replaceMechanismRow(ctx, tx, m.ID, in); err != nil {
					return err
				}
				rep.Updated++
			}
			if err := s.stamp(ctx, tx, "dir_mechanisms", m.ID, m.Meta); err != nil {
				return err
			}
		}
		as := append([]Agency(nil), doc.Agencies...)
		sort.SliceStable(as, func(i, j int) bool { return as[i].ParentID == "" && as[j].ParentID != "" })
		for _, a := range as {
			if a.OwnerNode != from || authority(a.Country) != from {
				refuse("agency", a.ID, "node "+from+" is not the authority for "+a.Country+" entries")
				continue
			}
			st, err := state("dir_agencies", a.ID, from, a.Version)
			if err != nil {
				return err
			}
			if st == "foreign" || st == "current" {
				if st == "foreign" {
					refuse("agency", a.ID, "a record with this ID belongs to another node here")
				} else {
					rep.Current++
				}
				continue
			}
			in := AgencyInput{Country: a.Country, Code: a.Code, Name: a.Name, LocalName: a.LocalName, Acronym: a.Acronym, Type: a.Type, Jurisdiction: a.Jurisdiction,
				ParentID: a.ParentID, Languages: a.Languages, Website: a.Website, Sources: a.Sources}
			if in, err = s.cleanAgency(ctx, tx, op, in); err == nil {
				err = s.duplicateAgency(ctx, tx, op, in, a.ID)
			}
			if err != nil {
				refuse("agency", a.ID, errs.SafeMessage(err))
				continue
			}
			if st == "missing" {
				err = s.insertAgency(ctx, tx, a.ID, from, in, "", a.UpdatedBy)
				rep.Inserted++
			} else {
				err = replaceAgencyRow(ctx, tx, a.ID, in, agencySearch(in, s.countryWords(ctx, tx, in.Country)))
				rep.Updated++
			}
			if err != nil {
				return err
			}
			if err := s.stamp(ctx, tx, "dir_agencies", a.ID, a.Meta); err != nil {
				return err
			}
		}
		for _, c := range doc.ContactPoints {
			authority := c.OwnerNode == from && authority(c.Country) == from
			if !authority && c.MechanismID != "" && c.OwnerNode == from {
				m, err := s.mechanism(ctx, tx, c.MechanismID)
				authority = err == nil && m.OwnerNode == from
			}
			if !authority {
				refuse("contact point", c.ID, "node "+from+" is not the authority for "+c.Country+" entries")
				continue
			}
			st, err := state("dir_contact_points", c.ID, from, c.Version)
			if err != nil {
				return err
			}
			if st == "foreign" || st == "current" {
				if st == "foreign" {
					refuse("contact point", c.ID, "a record with this ID belongs to another node here")
				} else {
					rep.Current++
				}
				continue
			}
			in := ContactPointInput{Country: c.Country, AgencyID: c.AgencyID, MechanismID: c.MechanismID, Role: c.Role, Title: c.Title, Channels: c.Channels, Languages: c.Languages,
				AlwaysOn: c.AlwaysOn, Hours: c.Hours, TimeZone: c.TimeZone, HolderName: c.Holder.Name, HolderTitle: c.Holder.Title, HolderSince: string(c.HolderSince),
				DeputyName: c.Deputy.Name, DeputyTitle: c.Deputy.Title, Notes: c.Notes, Sources: c.Sources}
			if in, err = s.cleanContact(ctx, tx, op, in); err != nil {
				refuse("contact point", c.ID, errs.SafeMessage(err))
				continue
			}
			if st == "missing" {
				err = s.insertContact(ctx, tx, c.ID, from, in, "", c.UpdatedBy)
				rep.Inserted++
			} else {
				err = replaceContactRow(ctx, tx, c.ID, in, s.contactSearch(ctx, tx, in))
				rep.Updated++
			}
			if err != nil {
				return err
			}
			// Staleness travels with the record: the owner's confirmation date.
			if err := setContactConfirmation(ctx, tx, c.ID, c.ConfirmedAt, c.ConfirmedBy); err != nil {
				return err
			}
			if err := s.stamp(ctx, tx, "dir_contact_points", c.ID, c.Meta); err != nil {
				return err
			}
		}
		for _, a := range doc.Agreements {
			if a.OwnerNode != from {
				refuse("agreement", a.ID, "owned by "+a.OwnerNode+", not by the sender")
				continue
			}
			st, err := state("dir_agreements", a.ID, from, a.Version)
			if err != nil {
				return err
			}
			if st == "foreign" || st == "current" {
				if st == "foreign" {
					refuse("agreement", a.ID, "a record with this ID belongs to another node here")
				} else {
					rep.Current++
				}
				continue
			}
			in := AgreementInput{Title: a.Title, ShortName: a.ShortName, Types: a.Types, Multilateral: a.Multilateral, Parties: a.Parties, Signed: string(a.Signed), Ratified: string(a.Ratified),
				InForce: string(a.InForce), Ended: string(a.Ended), LegalBasis: a.LegalBasis, Scope: a.Scope, MechanismID: a.MechanismID, Status: a.Status, StatusNote: a.StatusNote, Sources: a.Sources}
			c, err := s.cleanAgreement(ctx, tx, op, in)
			if err != nil {
				refuse("agreement", a.ID, errs.SafeMessage(err))
				continue
			}
			if taken, err := agreementTitleTaken(ctx, tx, c.Title, a.ID); err != nil || taken {
				if err != nil {
					return err
				}
				refuse("agreement", a.ID, "another agreement here already has the title "+c.Title)
				continue
			}
			if st == "missing" {
				if err := s.insertAgreement(ctx, tx, a.ID, from, c, "", a.UpdatedBy); err != nil {
					return err
				}
				rep.Inserted++
			} else {
				if err := replaceAgreementRow(ctx, tx, a.ID, c); err != nil {
					return err
				}
				rep.Updated++
			}
			if err := s.stamp(ctx, tx, "dir_agreements", a.ID, a.Meta); err != nil {
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
