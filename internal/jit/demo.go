package jit

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
)

// SeedDemo creates a small JIT between Serbia and Bosnia and Herzegovina
// and a parallel investigation with Montenegro on the Serbian demo node
// (other nodes receive them through the federation). It runs once the
// nodes are peered and does nothing when the parties are not peers or the
// JIT exists already.
func (s *Service) SeedDemo(ctx context.Context) error {
	if s.d.Node != "rs" {
		return nil
	}
	peers, err := s.peerSet(ctx)
	if err != nil || !peers["ba"] {
		return err
	}
	if n, err := countWorkspacesByReference(ctx, s.d.Store, "JIT RS-BA 1/2026"); err != nil || n > 0 {
		return err
	}
	pros := &auth.Principal{Username: "prosecutor", DisplayName: "Public prosecutor", Agency: "rs-mup", Roles: []auth.Role{auth.RoleProsecutor}}
	off := &auth.Principal{Username: "officer", DisplayName: "Investigating officer", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	ws, err := s.Create(ctx, pros, CreateInput{Kind: KindJIT, Template: "model-2017", Reference: "JIT RS-BA 1/2026", Title: "Heroin route Zvornik–Belgrade",
		Members: []MemberInput{
			{Node: "rs", Username: "prosecutor", Name: "Public prosecutor (RS)", Agency: "Prosecutor's Office for Organised Crime", Role: RoleLeader},
			{Node: "rs", Username: "officer", Name: "Investigating officer (RS)", Agency: "rs-mup", Role: RolePolice},
			{Node: "rs", Username: "analyst", Name: "Criminal analyst (RS)", Agency: "rs-mup", Role: RoleAnalyst},
			{Node: "ba", Username: "officer", Name: "Investigating officer (BA)", Agency: "ba-dkpt", Role: RolePolice},
			{Node: "ba", Username: "prosecutor", Name: "Public prosecutor (BA)", Agency: "Prosecutor's Office of BiH", Role: RoleProsecutor},
		}})
	if err != nil {
		return err
	}
	if _, err := s.ApprovePlan(ctx, pros, ws.ID); err != nil {
		return err
	}
	if _, err := s.PostMessage(ctx, off, ws.ID, "Surveillance of the Zvornik warehouse starts Monday; BA colleagues cover the Karakaj crossing."); err != nil {
		return err
	}
	if _, err := s.RegisterEvidence(ctx, off, ws.ID, EvidenceInput{Title: "Intercepted calls, courier phone (summary)", Origin: "Lawful interception, Belgrade, October 2026",
		LegalBasis: "Order of the pre-trial judge Kpp-Po1 12/26", Data: []byte("Summary of 14 intercepted calls between the courier and the Zvornik contact.\n")}); err != nil {
		return err
	}
	if _, err := s.RegisterEvidence(ctx, off, ws.ID, EvidenceInput{Title: "Seized heroin, 12 kg (sample kept by the forensic lab)", Origin: "Seizure at Šid, 2026-10-02",
		LegalBasis: "Search and seizure, Article 147 CPC", SHA256: strings.Repeat("3f", 32)}); err != nil {
		return err
	}
	if !peers["me"] {
		return nil
	}
	_, err = s.Create(ctx, off, CreateInput{Kind: KindParallel, Reference: "PAR RS-ME 3/2026", Title: "Cocaine via the port of Bar",
		Purpose: "Coordinate the Serbian and Montenegrin investigations of one distribution network",
		Members: []MemberInput{{Node: "rs", Username: "officer", Name: "Investigating officer (RS)", Agency: "rs-mup", Role: RoleLeader},
			{Node: "me", Username: "officer", Name: "Investigating officer (ME)", Agency: "me-up", Role: RolePolice},
			{Node: "me", Username: "prosecutor", Name: "Public prosecutor (ME)", Agency: "me-vdt", Role: RoleProsecutor}},
		Tasks: []TaskInput{{Title: "Agree the date of the common action day"}}})
	return err
}
