package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/match/pprl"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Regional target deconfliction. An investigation (a case) registers its
// targets (persons, phones, vehicles, accounts and the other kinds) with
// partners it chooses. Only keyed encodings leave the node: a person's
// Bloom-filter encoding, the other kinds' keyed identifier hashes. Each
// node keeps its partners' encodings and compares them with its own
// active registrations when either side registers; when an active target
// of one country matches an active target of another, both NCUs get a
// notice naming the two investigations' contact points and nothing else
// (not the target, not the case). A withdrawn registration or a closed
// case is removed from every partner's index. A node not chosen as a
// partner receives nothing.

// Deconfliction message types.
const (
	TypeDeconfRegister = "cases.deconf.register"
	TypeDeconfMatch    = "cases.deconf.match"
	TypeDeconfWithdraw = "cases.deconf.withdraw"
)

// DeconfTarget is one registered target on the wire: its kind and keyed
// encoding (persons) or keyed identifier hashes (other kinds).
type DeconfTarget struct {
	Kind   string `json:"kind"`
	CLK    string `json:"clk,omitempty"`
	Blocks string `json:"blocks,omitempty"`
}

// DeconfInput registers a case's targets for regional deconfliction.
type DeconfInput struct {
	Peers   []string `json:"peers" minItems:"1" maxItems:"20" doc:"partner nodes to deconflict with"`
	Contact string   `json:"contact" minLength:"3" maxLength:"200" doc:"the investigation's contact point that partners' NCUs are given on a match"`
}

// DeconfRegistration is this node's registration of a case's targets.
type DeconfRegistration struct {
	ID        string    `json:"id"`
	CaseID    string    `json:"case_id"`
	CaseRef   string    `json:"case_ref"`
	Contact   string    `json:"contact"`
	Agency    string    `json:"agency"`
	Peers     []string  `json:"peers"`
	Key       string    `json:"pprl_key" doc:"schema digest / key check value the targets were encoded under"`
	Targets   int       `json:"targets"`
	State     string    `json:"state" enum:"active,withdrawn"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
}

// DeconfNotice tells the NCU that one of this node's investigations and a
// partner's share an active target.
type DeconfNotice struct {
	ID            string    `json:"id"`
	LocalReg      string    `json:"local_registration"`
	CaseRef       string    `json:"case_ref" doc:"this node's case (never sent to the partner)"`
	Peer          string    `json:"peer"`
	RemoteReg     string    `json:"remote_registration"`
	LocalContact  string    `json:"local_contact"`
	RemoteContact string    `json:"remote_contact"`
	RemoteAgency  string    `json:"remote_agency"`
	State         string    `json:"state" enum:"open,closed"`
	CreatedAt     time.Time `json:"created_at"`
	ClosedAt      time.Time `json:"closed_at,omitzero"`
}

type deconfRegisterPayload struct {
	RegID   string         `json:"reg_id"`
	Contact string         `json:"contact"`
	Agency  string         `json:"agency"`
	Key     string         `json:"pprl_key"`
	Targets []DeconfTarget `json:"targets"`
}

type deconfMatchPayload struct {
	// RegID is the receiver's registration, RemoteReg the sender's.
	RegID     string `json:"reg_id"`
	RemoteReg string `json:"remote_reg"`
	Contact   string `json:"contact"`
	Agency    string `json:"agency"`
}

type deconfWithdrawPayload struct {
	RegID string `json:"reg_id"`
}

// MaxDeconfTargets bounds the targets of one registration.
const MaxDeconfTargets = 500

func (s *Service) registerDeconf(f *federation.Service) {
	f.Register(TypeDeconfRegister, federation.TypeSpec{Handle: s.handleDeconfRegister})
	f.Register(TypeDeconfMatch, federation.TypeSpec{Handle: s.handleDeconfMatch})
	f.Register(TypeDeconfWithdraw, federation.TypeSpec{Handle: s.handleDeconfWithdraw})
}

// encodeTargets encodes a case's entities under k.
func (s *Service) encodeTargets(k *pprl.Key, ents []Entity) []DeconfTarget {
	var out []DeconfTarget
	for _, e := range ents {
		kind, ok := entity.ParseKind(e.Kind)
		if !ok {
			continue
		}
		if kind == entity.KindPerson {
			for _, p := range personVariants(e.ID, e.Fields, e.Aliases, s.d.Region) {
				out = append(out, DeconfTarget{Kind: e.Kind, CLK: k.Encode(&p).String(), Blocks: packKeys(keyedInt64(k, personKeys(p, nil)))})
			}
			continue
		}
		keys, _ := identKeys(kind, e.Fields, e.Aliases)
		if len(keys) > 0 {
			out = append(out, DeconfTarget{Kind: e.Kind, Blocks: packKeys(keyedInt64(k, keys))})
		}
	}
	return out
}

// targetsMatch reports whether two registrations share a target: a person
// whose encodings score in the high band, or another kind with a keyed
// identifier in common.
func (s *Service) targetsMatch(a, b []DeconfTarget, schema *pprl.Schema) bool {
	model := s.pv.model
	for _, x := range a {
		for _, y := range b {
			if x.Kind != y.Kind {
				continue
			}
			if x.Kind == string(entity.KindPerson) {
				ex, err1 := schema.ParseEncoding(x.CLK)
				ey, err2 := schema.ParseEncoding(y.CLK)
				if err1 != nil || err2 != nil {
					continue
				}
				if score, _ := model.Match(&ex, &ey); score >= highScore {
					return true
				}
				continue
			}
			kx, err1 := unpackKeys(x.Blocks)
			ky, err2 := unpackKeys(y.Blocks)
			if err1 != nil || err2 != nil {
				continue
			}
			for _, k := range kx {
				for _, l := range ky {
					if k == l {
						return true
					}
				}
			}
		}
	}
	return false
}

func (s *Service) currentKey() *pprl.Key {
	s.pv.mu.RLock()
	defer s.pv.mu.RUnlock()
	if s.pv.cur == nil {
		return nil
	}
	return s.pv.cur.key
}

// RegisterDeconfliction puts a case's targets up for deconfliction with the
// chosen partners. The registration, its envelopes, any notices from
// partners' registrations already held and the audit entries commit
// together.
func (s *Service) RegisterDeconfliction(ctx context.Context, p *auth.Principal, caseIDOrRef string, in DeconfInput) (DeconfRegistration, error) {
	const op = "cases.RegisterDeconfliction"
	if s.fed == nil {
		return DeconfRegistration{}, errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	k := s.currentKey()
	if k == nil {
		return DeconfRegistration{}, &errs.E{Kind: errs.Invalid, Op: op, Code: ErrCodeNotConfigured, Msg: "deconfliction needs a regional secret on this node (LIAISON_PPRL_SECRET)"}
	}
	in.Contact = textutil.Clip(strings.TrimSpace(in.Contact), 200)
	if len(in.Contact) < 3 {
		return DeconfRegistration{}, errs.New(errs.Invalid, op, "contact is required: who partners' NCUs should call on a match")
	}
	peers := cleanList(in.Peers, 32)
	if len(peers) == 0 {
		return DeconfRegistration{}, errs.New(errs.Invalid, op, "choose at least one partner to deconflict with")
	}
	c, err := caseByIDOrRef(ctx, s.d.Store, caseIDOrRef)
	if err != nil {
		return DeconfRegistration{}, store.NotFound(err, op, "no such case")
	}
	if c.Status == "closed" {
		return DeconfRegistration{}, errs.New(errs.Conflict, op, "the case is closed; closed investigations are not deconflicted")
	}
	ents, err := caseTargets(ctx, s.d.Store, c.ID)
	if err != nil {
		return DeconfRegistration{}, unavailable(op, err)
	}
	targets := s.encodeTargets(k, ents)
	if len(targets) == 0 {
		return DeconfRegistration{}, errs.New(errs.Invalid, op, "the case has no targets to deconflict: link persons, phones, vehicles or accounts to it first")
	}
	if len(targets) > MaxDeconfTargets {
		return DeconfRegistration{}, errs.Newf(errs.TooLarge, op, "at most %d targets per registration", MaxDeconfTargets)
	}
	r := DeconfRegistration{ID: store.NewID(), CaseID: c.ID, CaseRef: c.Reference, Contact: in.Contact, Agency: p.Agency, Peers: peers, Key: k.Fingerprint(),
		Targets: len(targets), State: "active", CreatedBy: p.Username, CreatedAt: s.now()}
	payload := deconfRegisterPayload{RegID: r.ID, Contact: r.Contact, Agency: r.Agency, Key: r.Key, Targets: targets}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertDeconfReg(ctx, tx, r, targets); err != nil {
			return err
		}
		for _, peer := range peers {
			if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeDeconfRegister, Conversation: r.ID, Payload: payload,
				Summary: fmt.Sprintf("deconfliction registration %s: %d encoded target(s)", r.ID, len(targets)), Actor: p}); err != nil {
				return err
			}
		}
		held, err := remoteRegs(ctx, tx, peers)
		if err != nil {
			return err
		}
		for _, rr := range held {
			if rr.key == r.Key && s.targetsMatch(targets, rr.targets, k.Schema()) {
				if err := s.noteMatch(ctx, tx, regRow{DeconfRegistration: r, targets: targets}, rr); err != nil {
					return err
				}
			}
		}
		return s.queue(ctx, tx, entry(p, "cases.deconf.register", "case/"+c.ID, "deconfliction",
			fmt.Sprintf("registration=%s peers=%s targets=%d", r.ID, strings.Join(peers, ","), len(targets))))
	})
	if err != nil {
		return DeconfRegistration{}, unavailable(op, err)
	}
	s.fed.Notify()
	return r, nil
}

// noteMatch records the notice for this node's NCU and tells the partner,
// whose NCU then gets its own notice. Both are idempotent.
func (s *Service) noteMatch(ctx context.Context, tx *store.Tx, local regRow, rr remoteReg) error {
	n := DeconfNotice{ID: store.NewID(), LocalReg: local.ID, Peer: rr.peer, RemoteReg: rr.regID, LocalContact: local.Contact, RemoteContact: rr.contact,
		RemoteAgency: rr.agency, CreatedAt: s.now()}
	fresh, err := insertNotice(ctx, tx, n)
	if err != nil || !fresh {
		return err
	}
	if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: rr.peer, Type: TypeDeconfMatch, Conversation: rr.regID,
		Payload: deconfMatchPayload{RegID: rr.regID, RemoteReg: local.ID, Contact: local.Contact, Agency: local.Agency},
		Summary: fmt.Sprintf("deconfliction match: registration %s and %s", local.ID, rr.regID)}); err != nil {
		return err
	}
	return s.queue(ctx, tx, audit.Entry{Actor: "system", Action: "cases.deconf.match", Object: "deconfliction/" + local.ID, Purpose: "deconfliction",
		Detail: fmt.Sprintf("peer=%s remote=%s", rr.peer, rr.regID)})
}

func (s *Service) handleDeconfRegister(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var m deconfRegisterPayload
	if err := json.Unmarshal(in.Payload, &m); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleDeconfRegister", "malformed deconfliction registration", err)
	}
	if len(m.Targets) > MaxDeconfTargets {
		m.Targets = m.Targets[:MaxDeconfTargets]
	}
	rr := remoteReg{peer: in.From, regID: textutil.Clip(strings.TrimSpace(m.RegID), 64), contact: textutil.Clip(strings.TrimSpace(m.Contact), 200),
		agency: textutil.Clip(strings.TrimSpace(m.Agency), 100), key: textutil.Clip(strings.TrimSpace(m.Key), 64), targets: m.Targets}
	if err := upsertRemoteReg(ctx, tx, rr, s.now()); err != nil {
		return err
	}
	k := s.currentKey()
	detail := fmt.Sprintf("from=%s registration=%s targets=%d", in.From, rr.regID, len(rr.targets))
	switch {
	case k == nil:
		detail += " not-compared=" + ErrCodeNotConfigured
	case k.Fingerprint() != rr.key:
		// Kept, but never compared: encodings under another key match
		// nothing. Said loudly, so that it is not a silent no-match.
		s.d.Logger.Error("cases: deconfliction registration under another regional key", "peer", in.From, "theirs", rr.key, "ours", k.Fingerprint())
		detail += " not-compared=" + ErrCodeKeyMismatch
	default:
		locals, err := activeRegs(ctx, tx)
		if err != nil {
			return err
		}
		for _, l := range locals {
			if !slices.Contains(l.Peers, in.From) || l.Key != rr.key {
				continue
			}
			if s.targetsMatch(l.targets, rr.targets, k.Schema()) {
				if err := s.noteMatch(ctx, tx, l, rr); err != nil {
					return err
				}
			}
		}
	}
	return s.queue(ctx, tx, audit.Entry{Actor: in.From, Action: "cases.deconf.receive", Object: "deconfliction/" + in.From + "/" + rr.regID, Purpose: "deconfliction", Detail: detail})
}

func (s *Service) handleDeconfMatch(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var m deconfMatchPayload
	if err := json.Unmarshal(in.Payload, &m); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleDeconfMatch", "malformed deconfliction match", err)
	}
	local, err := regByID(ctx, tx, textutil.Clip(strings.TrimSpace(m.RegID), 64))
	if errors.Is(err, sql.ErrNoRows) {
		return errs.New(errs.NotFound, "cases.handleDeconfMatch", "deconfliction match for an unknown registration")
	}
	if err != nil {
		return err
	}
	if local.State != "active" || !slices.Contains(local.Peers, in.From) {
		return nil // withdrawn meanwhile, or never shared with this peer
	}
	n := DeconfNotice{ID: store.NewID(), LocalReg: local.ID, Peer: in.From, RemoteReg: textutil.Clip(strings.TrimSpace(m.RemoteReg), 64),
		LocalContact: local.Contact, RemoteContact: textutil.Clip(strings.TrimSpace(m.Contact), 200), RemoteAgency: textutil.Clip(strings.TrimSpace(m.Agency), 100), CreatedAt: s.now()}
	if _, err := insertNotice(ctx, tx, n); err != nil {
		return err
	}
	return s.queue(ctx, tx, audit.Entry{Actor: in.From, Action: "cases.deconf.match", Object: "deconfliction/" + local.ID, Purpose: "deconfliction",
		Detail: fmt.Sprintf("peer=%s remote=%s", in.From, n.RemoteReg)})
}

func (s *Service) handleDeconfWithdraw(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var m deconfWithdrawPayload
	if err := json.Unmarshal(in.Payload, &m); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleDeconfWithdraw", "malformed deconfliction withdrawal", err)
	}
	id := textutil.Clip(strings.TrimSpace(m.RegID), 64)
	if err := deleteRemoteReg(ctx, tx, in.From, id); err != nil {
		return err
	}
	if err := closeNotices(ctx, tx, "", in.From, id, s.now()); err != nil {
		return err
	}
	return s.queue(ctx, tx, audit.Entry{Actor: in.From, Action: "cases.deconf.withdrawn", Object: "deconfliction/" + in.From + "/" + id, Purpose: "deconfliction"})
}

// withdraw ends a registration inside tx: its partners remove its targets.
func (s *Service) withdraw(ctx context.Context, tx *store.Tx, p *auth.Principal, r regRow) error {
	ok, err := withdrawReg(ctx, tx, r.ID, s.now())
	if err != nil || !ok {
		return err
	}
	if err := closeNotices(ctx, tx, r.ID, "", "", s.now()); err != nil {
		return err
	}
	for _, peer := range r.Peers {
		if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: peer, Type: TypeDeconfWithdraw, Conversation: r.ID, Payload: deconfWithdrawPayload{RegID: r.ID},
			Summary: "deconfliction registration withdrawn: " + r.ID, Actor: p}); err != nil {
			return err
		}
	}
	return s.queue(ctx, tx, entry(p, "cases.deconf.withdraw", "case/"+r.CaseID, "deconfliction", "registration="+r.ID))
}

// WithdrawDeconfliction withdraws a registration: every partner removes
// its targets and the notices close.
func (s *Service) WithdrawDeconfliction(ctx context.Context, p *auth.Principal, id string) error {
	const op = "cases.WithdrawDeconfliction"
	if s.fed == nil {
		return errs.New(errs.Unavailable, op, "federation is not configured on this node")
	}
	r, err := regByID(ctx, s.d.Store, id)
	if err != nil {
		return store.NotFound(err, op, "no such deconfliction registration")
	}
	if r.State != "active" {
		return errs.New(errs.Conflict, op, "the registration is already withdrawn")
	}
	if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error { return s.withdraw(ctx, tx, p, r) }); err != nil {
		return unavailable(op, err)
	}
	s.fed.Notify()
	return nil
}

// CloseCase closes an investigation; its deconfliction registrations are
// withdrawn in the same transaction, so partners remove its targets.
func (s *Service) CloseCase(ctx context.Context, p *auth.Principal, idOrRef string) error {
	const op = "cases.CloseCase"
	c, err := caseByIDOrRef(ctx, s.d.Store, idOrRef)
	if err != nil {
		return store.NotFound(err, op, "no such case")
	}
	regs, err := caseRegs(ctx, s.d.Store, c.ID)
	if err != nil {
		return unavailable(op, err)
	}
	now := s.now()
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		ok, err := closeCase(ctx, tx, c.ID, now.UTC().Format(time.DateOnly), now)
		if err != nil {
			return err
		}
		if !ok {
			return errs.New(errs.Conflict, op, "the case is already closed")
		}
		for _, r := range regs {
			if r.State == "active" && s.fed != nil {
				if err := s.withdraw(ctx, tx, p, r); err != nil {
					return err
				}
			}
		}
		return s.queue(ctx, tx, entry(p, "cases.case.close", "case/"+c.ID, "", c.Reference))
	})
	if err != nil {
		return unavailable(op, err)
	}
	if s.fed != nil {
		s.fed.Notify()
	}
	return nil
}

// DeconfNotices lists deconfliction notices (state "open", "closed" or ""
// for all). Reading is audited.
func (s *Service) DeconfNotices(ctx context.Context, p *auth.Principal, state string) ([]DeconfNotice, error) {
	out, err := listNotices(ctx, s.d.Store, state)
	if err != nil {
		return nil, unavailable("cases.DeconfNotices", err)
	}
	return out, s.record(ctx, entry(p, "cases.deconf.notices", "deconfliction", "deconfliction", fmt.Sprintf("notices=%d", len(out))))
}

// CaseDeconfliction lists a case's registrations.
func (s *Service) CaseDeconfliction(ctx context.Context, caseIDOrRef string) ([]DeconfRegistration, error) {
	c, err := caseByIDOrRef(ctx, s.d.Store, caseIDOrRef)
	if err != nil {
		return nil, store.NotFound(err, "cases.CaseDeconfliction", "no such case")
	}
	rs, err := caseRegs(ctx, s.d.Store, c.ID)
	if err != nil {
		return nil, unavailable("cases.CaseDeconfliction", err)
	}
	out := make([]DeconfRegistration, len(rs))
	for i, r := range rs {
		out[i] = r.DeconfRegistration
	}
	return out, nil
}

// RemoteRegistrations counts the partners' registrations this node holds.
func (s *Service) RemoteRegistrations(ctx context.Context) (int, error) {
	return countRemoteRegs(ctx, s.d.Store)
}
