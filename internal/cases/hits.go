// Hits and releases: the owner's hit inbox, the decision to release or
// refuse, and the release received by the node that asked.

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
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Markings are the protective markings of a release.
type Markings struct {
	Classification        string `json:"classification" enum:"unclassified,restricted,confidential" doc:"security classification (secret information does not travel through the exchange)"`
	HandlingCode          string `json:"handling_code" enum:"H0,H1,H2,H3" doc:"H0 law enforcement use; H1 not for court without permission; H2 not to be disseminated further without permission; H3 other restrictions (see reason)"`
	SourceEvaluation      string `json:"source_evaluation" enum:"A,B,C,X" doc:"4x4 source evaluation"`
	InformationEvaluation string `json:"information_evaluation" enum:"1,2,3,4" doc:"4x4 information evaluation"`
	Restrictions          string `json:"restrictions,omitempty" maxLength:"1000" doc:"the restriction when H3 is set"`
	OnwardAllowed         bool   `json:"onward_allowed,omitempty" doc:"the requester may pass the details to another country or body without asking (not with H2)"`
}

func (m *Markings) validate(op string) error {
	m.Classification = strings.ToLower(strings.TrimSpace(m.Classification))
	m.HandlingCode = strings.ToUpper(strings.TrimSpace(m.HandlingCode))
	m.SourceEvaluation = strings.ToUpper(strings.TrimSpace(m.SourceEvaluation))
	m.InformationEvaluation = strings.TrimSpace(m.InformationEvaluation)
	m.Restrictions = textutil.Clip(strings.TrimSpace(m.Restrictions), 1000)
	switch {
	case !slices.Contains([]string{"unclassified", "restricted", "confidential"}, m.Classification):
		return errs.New(errs.Invalid, op, "classification must be unclassified, restricted or confidential (secret information does not travel through the exchange)")
	case !slices.Contains([]string{"H0", "H1", "H2", "H3"}, m.HandlingCode):
		return errs.New(errs.Invalid, op, "handling_code must be H0, H1, H2 or H3")
	case !slices.Contains([]string{"A", "B", "C", "X"}, m.SourceEvaluation):
		return errs.New(errs.Invalid, op, "source_evaluation must be A, B, C or X")
	case !slices.Contains([]string{"1", "2", "3", "4"}, m.InformationEvaluation):
		return errs.New(errs.Invalid, op, "information_evaluation must be 1, 2, 3 or 4")
	case m.HandlingCode == "H3" && m.Restrictions == "":
		return errs.New(errs.Invalid, op, "handling code H3 needs the restriction written in restrictions")
	case m.HandlingCode == "H2" && m.OnwardAllowed:
		return errs.New(errs.Invalid, op, "H2 (no dissemination without permission) contradicts allowing onward transmission")
	}
	return nil
}

// ReleaseMessage is an owner's decision on a hit as it is sent through
// the secure exchange.
type ReleaseMessage struct {
	To       string // requesting node
	Subject  string // shown in NCU queues: no personal data
	CaseRefs []string
	Body     string
	Markings Markings
	Entity   *ReleasedEntity // nil for a refusal
}

// ReleasedEntity is the released part of a local entity.
type ReleasedEntity struct {
	Kind   string
	Label  string
	Fields map[string]string
}

// ExchangeSender opens a secure-exchange thread with one message to
// another node and returns the thread ID and the envelope ID waiting for
// this node's NCU.
//
// It writes inside the caller's transaction: the hit's decision, its audit
// entry, the exchange message and the notice to the requester commit
// together or not at all.
type ExchangeSender func(ctx context.Context, tx *store.Tx, p *auth.Principal, m ReleaseMessage) (threadID, envelopeID string, err error)

// releaseNotice links a hit to the exchange thread carrying the decision.
type releaseNotice struct {
	QueryID    string   `json:"query_id"`
	Reference  string   `json:"reference"`
	Refused    bool     `json:"refused"`
	ThreadID   string   `json:"thread_id"`
	Markings   Markings `json:"markings"`
	ReleasedBy string   `json:"released_by"`
	Agency     string   `json:"agency"`
}

// Hit is an item in the owner's hit inbox: what was asked, by whom and
// why, and which local entity it matched.
type Hit struct {
	Reference string            `json:"reference"`
	QueryID   string            `json:"query_id"`
	Peer      string            `json:"peer"`
	Item      int               `json:"item"`
	Score     float64           `json:"score"`
	Band      string            `json:"band"`
	Asked     Asked             `json:"asked"`
	Entity    Entity            `json:"entity"`
	State     string            `json:"state" enum:"new,released,refused"`
	DecidedBy string            `json:"decided_by,omitempty"`
	DecidedAt time.Time         `json:"decided_at,omitzero"`
	Reason    string            `json:"reason,omitempty"`
	Released  map[string]string `json:"released,omitempty"`
	ThreadID  string            `json:"thread_id,omitempty" doc:"secure-exchange thread that carries the decision to the requesting node"`
	CreatedAt time.Time         `json:"created_at"`
}

// Asked is the query item as the requesting node sent it.
type Asked struct {
	Kind      string            `json:"kind"`
	Fields    map[string]string `json:"fields"`
	Requester string            `json:"requester"`
	Agency    string            `json:"agency"`
	Purpose   string            `json:"purpose"`
	CaseRef   string            `json:"case_ref"`
	Mode      string            `json:"mode,omitempty" enum:",plain,private" doc:"private: the requester sent only keyed encodings; Fields is empty"`
}

// Hits lists the owner's hit inbox (state "new", "released", "refused" or
// "" for all), newest first. Reading is audited.
func (s *Service) Hits(ctx context.Context, p *auth.Principal, state string) ([]Hit, error) {
	out, err := listHits(ctx, s.d.Store, state)
	if err != nil {
		return nil, unavailable("cases.Hits", err)
	}
	return out, s.record(ctx, entry(p, "cases.hits.list", "hits", "", "state="+state))
}

// GetHit returns one hit; audited.
func (s *Service) GetHit(ctx context.Context, p *auth.Principal, ref string) (Hit, error) {
	h, err := hitByRef(ctx, s.d.Store, ref)
	if err != nil {
		return Hit{}, store.NotFound(err, "cases.GetHit", "no such hit")
	}
	return h, s.record(ctx, entry(p, "cases.hit.read", "hit/"+ref, h.Asked.Purpose, "entity/"+h.Entity.ID))
}

// ReleaseInput is the owner's decision on a hit.
type ReleaseInput struct {
	Refuse   bool     `json:"refuse,omitempty" doc:"refuse to release; a reason is required"`
	Reason   string   `json:"reason,omitempty" maxLength:"1000"`
	Fields   []string `json:"fields,omitempty" maxItems:"50" doc:"names of the entity's fields to release"`
	Markings Markings `json:"markings"`
}

// Release decides a hit: the selected fields (or a refusal with its
// reason) go to the requesting node as a secure-exchange message with
// protective markings, which waits for this node's NCU and is routed by the
// requesting NCU into the requesting agency's exchange inbox. A
// cases.release notice without personal data links the hit to that
// thread on the requesting node. It returns the exchange envelope's ID.
func (s *Service) Release(ctx context.Context, p *auth.Principal, ref string, in ReleaseInput) (string, error) {
	const op = "cases.Release"
	if s.fed == nil || s.d.Exchange == nil {
		return "", errs.New(errs.Unavailable, op, "the secure exchange with other countries is not configured on this node")
	}
	in.Reason = textutil.Clip(strings.TrimSpace(in.Reason), 1000)
	if in.Refuse && in.Reason == "" {
		return "", errs.New(errs.Invalid, op, "a reason is required to refuse")
	}
	if in.Refuse && in.Markings.Classification == "" {
		// A refusal says only that and why: the owner's own statement.
		in.Markings = Markings{Classification: "unclassified", HandlingCode: "H0", SourceEvaluation: "A", InformationEvaluation: "1"}
	}
	if !in.Refuse && len(in.Fields) == 0 {
		return "", errs.New(errs.Invalid, op, "choose the fields to release (or refuse with a reason)")
	}
	if err := in.Markings.validate(op); err != nil {
		return "", err
	}
	h, err := hitByRef(ctx, s.d.Store, ref)
	if err != nil {
		return "", store.NotFound(err, op, "no such hit")
	}
	if h.State != "new" {
		return "", errs.Newf(errs.Conflict, op, "this hit was already %s", h.State)
	}
	released := map[string]string{}
	if !in.Refuse {
		for _, f := range in.Fields {
			f = strings.TrimSpace(f)
			if f == "aliases" {
				released[f] = strings.Join(h.Entity.Aliases, "; ")
				continue
			}
			v, ok := h.Entity.Fields[f]
			if !ok {
				return "", errs.Newf(errs.Invalid, op, "the entity has no field %q", f)
			}
			released[f] = v
		}
	}
	state, action := "released", "cases.release"
	if in.Refuse {
		state, action = "refused", "cases.refuse"
	}
	msg := ReleaseMessage{To: h.Peer, CaseRefs: []string{h.Asked.CaseRef}, Markings: in.Markings}
	asked := fmt.Sprintf("your hit/no-hit query %s, item %d (reference %s, %s match), asked by %s (%s) for case %s: %q",
		h.QueryID, h.Item, ref, h.Band, h.Asked.Requester, h.Asked.Agency, h.Asked.CaseRef, h.Asked.Purpose)
	what := "Hit/no-hit"
	if h.Asked.Mode == ModePrivate {
		// The NCU sees that the requester searched with encodings only.
		what = "Private hit/no-hit"
	}
	if in.Refuse {
		msg.Subject = what + ": release refused (reference " + ref + ")"
		msg.Body = "The release of details on " + asked + " is refused.\n\nReason: " + in.Reason + "\n\nDecided by " + p.Username + " (" + p.Agency + ")."
	} else {
		lbl := label(entity.Kind(h.Entity.Kind), released)
		if lbl == "" {
			lbl = h.Entity.Kind + " " + ref
		}
		msg.Subject = what + ": details released (reference " + ref + ")"
		msg.Body = "Details released on " + asked + ".\n\nReleased fields: " + strings.Join(sortedKeys(released), ", ") +
			"\n\nDecided by " + p.Username + " (" + p.Agency + "). The protective markings of this message apply to the released details."
		msg.Entity = &ReleasedEntity{Kind: h.Entity.Kind, Label: textutil.Clip(strings.TrimSpace(lbl), 200), Fields: released}
	}
	var envID string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		// The claim fails when another officer decided the hit meanwhile.
		claimed, err := decideHit(ctx, tx, ref, state, p.Username, s.now(), in.Reason, released)
		if err != nil {
			return err
		}
		if !claimed {
			return errs.New(errs.Conflict, op, "this hit was decided meanwhile")
		}
		threadID, env, err := s.d.Exchange(ctx, tx, p, msg)
		if err != nil {
			return err
		}
		envID = env
		if err := setHitThread(ctx, tx, ref, threadID, envID); err != nil {
			return err
		}
		notice := releaseNotice{QueryID: h.QueryID, Reference: ref, Refused: in.Refuse, ThreadID: threadID, Markings: in.Markings, ReleasedBy: p.Username, Agency: p.Agency}
		if _, err := s.fed.Enqueue(ctx, tx, federation.Outgoing{To: h.Peer, Type: TypeRelease, Conversation: h.QueryID, Payload: notice,
			Summary: fmt.Sprintf("hit/no-hit %s for query %s: exchange thread %s", state, h.QueryID, threadID), Actor: p}); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, entry(p, action, "hit/"+ref, h.Asked.Purpose, fmt.Sprintf("query=%s to=%s entity/%s fields=%s reason=%s thread=%s",
			h.QueryID, h.Peer, h.Entity.ID, strings.Join(sortedKeys(released), ","), in.Reason, threadID)))
	})
	if err != nil {
		if errs.Is(err, errs.Conflict) || errs.Is(err, errs.Invalid) || errs.Is(err, errs.Forbidden) {
			return "", err
		}
		return "", unavailable(op, err)
	}
	s.fed.Notify()
	return envID, nil
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (s *Service) handleRelease(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var r releaseNotice
	if err := json.Unmarshal(in.Payload, &r); err != nil {
		return errs.Wrap(errs.Invalid, "cases.handleRelease", "malformed release notice", err)
	}
	_, purpose, agency, err := queryAsker(ctx, tx, r.QueryID)
	if err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return errs.New(errs.NotFound, "cases.handleRelease", "release for an unknown query")
		}
		return err
	}
	// The notice goes to the agency that asked; the details follow in
	// the exchange thread, which the NCU routes.
	routed := in.RoutedTo
	if routed == "" {
		routed = agency
	}
	if err := insertRelease(ctx, tx, Release{ID: in.ID, Peer: in.From, Reference: textutil.Clip(strings.TrimSpace(r.Reference), 64), Refused: r.Refused, Markings: r.Markings,
		ReleasedBy: textutil.Clip(strings.TrimSpace(r.ReleasedBy), 100), RoutedTo: routed, ReceivedAt: s.now(), ThreadID: textutil.Clip(strings.TrimSpace(r.ThreadID), 64)}, r.QueryID); err != nil {
		return err
	}
	what := "released"
	if r.Refused {
		what = "refused"
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: in.From + ":" + textutil.Clip(strings.TrimSpace(r.ReleasedBy), 100), Agency: textutil.Clip(strings.TrimSpace(r.Agency), 100), Action: "cases.release.receive",
		Object: "query/" + r.QueryID, Purpose: purpose, Detail: fmt.Sprintf("%s ref=%s thread=%s", what, textutil.Clip(strings.TrimSpace(r.Reference), 64), textutil.Clip(strings.TrimSpace(r.ThreadID), 64))})
}

// CountHits counts the owner's hits in a state, without reading them (menus
// show it on every page, so it is not audited).
func (s *Service) CountHits(ctx context.Context, state string) (int, error) {
	n, err := countHits(ctx, s.d.Store, state)
	if err != nil {
		return 0, unavailable("cases.CountHits", err)
	}
	return n, nil
}
