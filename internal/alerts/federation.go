package alerts

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Federation message types.
const (
	// TypePublish carries a validated alert to a recipient, which keeps it
	// as a signed local copy. Not held at the NCU: the alert was validated
	// by a second person and the recipient is a partner the issuer chose
	// with a legal basis; the recipient's NCU sees every copy in its list.
	TypePublish = "alerts.publish"
	// TypePublishBatch carries many alerts of a bulk load to one recipient
	// in one signed envelope, each as it would travel in alerts.publish:
	// a national register of 100,000 alerts is 100,000 envelopes per
	// partner otherwise, each signed, verified, acknowledged and audited.
	TypePublishBatch = "alerts.publish_batch"
	// TypeUpdate replicates status changes, hiding and review dates.
	TypeUpdate = "alerts.update"
	// TypeFlag carries a recipient's flag (or its lifting) to the issuer.
	TypeFlag = "alerts.flag"
	// TypeLift is the issuer's urgent request to lift a flag.
	TypeLift = "alerts.lift"
	// TypeHit carries a hit report to the issuer (sensitive: it leaves
	// through the reporting NCU and is routed by the issuing NCU).
	TypeHit = "alerts.hit"
	// TypeHitAnswer carries the issuer's answer back.
	TypeHitAnswer = "alerts.hit_answer"
)

// Register binds the message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypePublish, federation.TypeSpec{Handle: s.handlePublish})
	f.Register(TypePublishBatch, federation.TypeSpec{Handle: s.handlePublishBatch})
	f.Register(TypeUpdate, federation.TypeSpec{Handle: s.handleUpdate})
	f.Register(TypeFlag, federation.TypeSpec{Handle: s.handleFlag})
	f.Register(TypeLift, federation.TypeSpec{Handle: s.handleLift})
	f.Register(TypeHit, federation.TypeSpec{Sensitive: true, Handle: s.handleHit, Describe: describeHit, Reroute: rerouteHit})
	f.Register(TypeHitAnswer, federation.TypeSpec{Handle: s.handleHitAnswer})
	f.Register(TypeTrace, federation.TypeSpec{Sensitive: true, Handle: s.handleTrace, Describe: describeTrace, Reroute: rerouteTrace})
	f.Register(TypeTraceUpdate, federation.TypeSpec{Handle: s.handleTraceUpdate})
}

// wireAlert is the payload of alerts.publish.
type wireAlert struct {
	Summary     string        `json:"summary"`
	ID          string        `json:"id"`
	OriginNode  string        `json:"origin_node"`
	Kind        string        `json:"kind"`
	Sub         string        `json:"sub"`
	Person      *WantedPerson `json:"person,omitempty"`
	Object      *WantedObject `json:"object,omitempty"`
	Warnings    []string      `json:"warnings"`
	Action      string        `json:"action"`
	Reason      string        `json:"reason"`
	Authority   string        `json:"authority"`
	WarrantRef  string        `json:"warrant_ref"`
	InterpolRef string        `json:"interpol_ref"`
	Misused     *Misused      `json:"misused,omitempty"`
	CaseRefs    []string      `json:"case_refs"`
	Links       []string      `json:"links,omitempty"`
	Photo       []byte        `json:"photo,omitempty" doc:"JPEG or PNG, base64; its SHA-256 is in the digest"`
	Status      string        `json:"status"`
	Hidden      bool          `json:"hidden"`
	ReviewDue   time.Time     `json:"review_due"`
	ValidatedBy string        `json:"validated_by"`
	ValidatedAt time.Time     `json:"validated_at"`
	Digest      string        `json:"digest"`
	LegalBasis  string        `json:"legal_basis"`
}

// update is the payload of alerts.update.
type update struct {
	Summary   string    `json:"summary"`
	AlertID   string    `json:"alert_id"`
	Kind      string    `json:"kind"` // status | hidden | review
	Status    string    `json:"status,omitempty"`
	Hidden    bool      `json:"hidden,omitempty"`
	ReviewDue time.Time `json:"review_due,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	Actor     string    `json:"actor"`
	At        time.Time `json:"at"`
}

func (u update) describe() string {
	switch u.Kind {
	case "status":
		return "status " + u.Status + joinNote("", u.Reason)
	case "hidden":
		return fmt.Sprintf("hidden=%v%s", u.Hidden, joinNote("", u.Reason))
	}
	return "review " + u.ReviewDue.Format("2006-01-02") + joinNote("", u.Reason)
}

// flagMsg is the payload of alerts.flag and alerts.lift.
type flagMsg struct {
	Summary string    `json:"summary"`
	AlertID string    `json:"alert_id"`
	Reason  string    `json:"reason"`
	Lifted  bool      `json:"lifted,omitempty"`
	Actor   string    `json:"actor"`
	At      time.Time `json:"at"`
}

func summaryOf(a Alert) string {
	return a.Kind + " alert (" + a.Subject + ") from " + a.OriginNode
}

// wireOf is the signed copy of a for recipient r.
func wireOf(ctx context.Context, tx *store.Tx, a Alert, r Recipient) (wireAlert, error) {
	w := wireAlert{Summary: summaryOf(a), ID: a.ID, OriginNode: a.OriginNode, Kind: a.Kind, Sub: a.Sub, Person: a.Person, Object: a.Object,
		Warnings: a.Warnings, Action: a.Action, Reason: a.Reason, Authority: a.Authority, WarrantRef: a.WarrantRef, InterpolRef: a.InterpolRef,
		Misused: a.Misused, CaseRefs: a.CaseRefs, Status: a.Status, Hidden: a.Hidden, ReviewDue: a.ReviewDue, ValidatedBy: a.ValidatedBy,
		ValidatedAt: a.ValidatedAt, Digest: a.Digest, LegalBasis: r.LegalBasis, Links: a.Links}
	if a.Photo != nil {
		p, err := loadPhoto(ctx, tx, a.ID)
		if err != nil {
			return w, err
		}
		w.Photo = p.Data
	}
	return w, nil
}

// publish enqueues a signed copy for one recipient and marks it sent.
func (s *Service) publish(ctx context.Context, tx *store.Tx, actor *auth.Principal, a Alert, r Recipient) error {
	w, err := wireOf(ctx, tx, a, r)
	if err != nil {
		return err
	}
	if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: r.Node, Type: TypePublish, Conversation: "alerts/" + a.ID, Payload: w, Summary: w.Summary, Actor: actor}); err != nil {
		return err
	}
	return markSent(ctx, tx, a.ID, r.Node, s.d.Clock.Now())
}

// Limits of one alerts.publish_batch envelope: well under the federation's
// payload limit, and small enough that a recipient applies it in one
// short transaction.
const (
	publishBatchMax   = 250
	publishBatchBytes = 1 << 20
)

// wireBatch is the payload of alerts.publish_batch. Each alert is parsed
// and checked on its own, so one the recipient refuses does not hold up
// the others.
type wireBatch struct {
	Summary string            `json:"summary"`
	Alerts  []json.RawMessage `json:"alerts"`
}

// batchPublisher gathers the copies of a bulk load per recipient and
// enqueues them a batch at a time, in the caller's transaction.
type batchPublisher struct {
	s       *Service
	actor   *auth.Principal
	pending map[string]*pendingBatch // by recipient node
}

// pendingBatch is one recipient's batch not enqueued yet.
type pendingBatch struct {
	wire  wireBatch
	ids   []string // the alerts in it, marked sent when it is enqueued
	bytes int
}

func (s *Service) newBatchPublisher(actor *auth.Principal) *batchPublisher {
	return &batchPublisher{s: s, actor: actor, pending: map[string]*pendingBatch{}}
}

// add queues the copy of a for r, sending the recipient's batch when it is
// full.
func (b *batchPublisher) add(ctx context.Context, tx *store.Tx, a Alert, r Recipient) error {
	w, err := wireOf(ctx, tx, a, r)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(w)
	if err != nil {
		return err
	}
	if pb := b.pending[r.Node]; pb != nil && pb.bytes+len(raw) > publishBatchBytes {
		if err := b.flush(ctx, tx, r.Node); err != nil {
			return err
		}
	}
	pb := b.pending[r.Node]
	if pb == nil {
		pb = &pendingBatch{}
		b.pending[r.Node] = pb
	}
	pb.wire.Alerts = append(pb.wire.Alerts, raw)
	pb.ids = append(pb.ids, a.ID)
	pb.bytes += len(raw)
	if len(pb.ids) >= publishBatchMax {
		return b.flush(ctx, tx, r.Node)
	}
	return nil
}

// flush enqueues node's pending batch and marks its alerts sent.
func (b *batchPublisher) flush(ctx context.Context, tx *store.Tx, node string) error {
	pb := b.pending[node]
	if pb == nil {
		return nil
	}
	delete(b.pending, node)
	pb.wire.Summary = strconv.Itoa(len(pb.ids)) + " alerts from " + b.s.d.NodeID
	if _, err := b.s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypePublishBatch, Payload: pb.wire, Summary: pb.wire.Summary, Actor: b.actor}); err != nil {
		return err
	}
	now := b.s.d.Clock.Now()
	for _, id := range pb.ids {
		if err := markSent(ctx, tx, id, node, now); err != nil {
			return err
		}
	}
	return nil
}

// flushAll enqueues every recipient's pending batch, in node order.
func (b *batchPublisher) flushAll(ctx context.Context, tx *store.Tx) error {
	for _, n := range slices.Sorted(maps.Keys(b.pending)) {
		if err := b.flush(ctx, tx, n); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) replicate(ctx context.Context, tx *store.Tx, actor *auth.Principal, a Alert, node string, u update) error {
	u.Summary = "alert " + a.ID + ": " + u.Kind
	_, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeUpdate, Conversation: "alerts/" + a.ID, Payload: u, Summary: u.Summary, Actor: actor})
	return err
}

// ParsePublish decodes and validates an alerts.publish payload from node
// from: the content must pass the same checks as a local draft and match
// its digest.
func (s *Service) ParsePublish(from string, raw []byte) (Alert, error) {
	const op = "alerts.receive"
	var w wireAlert
	if err := json.Unmarshal(raw, &w); err != nil {
		return Alert{}, errs.Wrap(errs.Invalid, op, "malformed alert", err)
	}
	bad := func(what string) error { return errs.New(errs.Invalid, op, "alert with "+what) }
	if w.ID == "" || len(w.ID) > 64 || w.OriginNode != from {
		return Alert{}, bad("no ID or an issuer other than the sender")
	}
	if !InForce(w.Status) {
		return Alert{}, bad("a status that is not in force")
	}
	a, err := s.clean(op, AlertDraft{Kind: w.Kind, Sub: w.Sub, Person: w.Person, Object: w.Object, Warnings: w.Warnings, Action: w.Action, Reason: w.Reason,
		Authority: w.Authority, WarrantRef: w.WarrantRef, InterpolRef: w.InterpolRef, Misused: w.Misused, CaseRefs: w.CaseRefs, Links: w.Links, Photo: w.Photo})
	if err != nil {
		return Alert{}, err
	}
	if !utf8.ValidString(w.LegalBasis+w.ValidatedBy) || len(w.LegalBasis) > 1200 || len(w.ValidatedBy) > 200 {
		return Alert{}, bad("fields beyond their limits")
	}
	a.ID, a.OriginNode, a.Status, a.Hidden, a.ReviewDue, a.ValidatedBy, a.ValidatedAt, a.LegalBasis = w.ID, w.OriginNode, w.Status, w.Hidden, w.ReviewDue, w.ValidatedBy, w.ValidatedAt, w.LegalBasis
	if Digest(a) != w.Digest {
		return Alert{}, bad("content that does not match its digest")
	}
	a.Digest = w.Digest
	return a, nil
}

// handlePublish stores (or replaces) the signed local copy of a partner's
// alert and indexes it for checks.
func (s *Service) handlePublish(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	a, err := s.ParsePublish(in.From, in.Payload)
	if err != nil {
		return err
	}
	kept, err := s.storeCopy(ctx, tx, in, a)
	if kept {
		s.indexAfterCommit(tx, a)
	}
	return err
}

// handlePublishBatch stores the copies of an alerts.publish_batch
// envelope. A copy that fails the checks is refused on its own, with its
// reason in the audit log; the others are kept.
func (s *Service) handlePublishBatch(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	var wb wireBatch
	if err := json.Unmarshal(in.Payload, &wb); err != nil {
		return errs.Wrap(errs.Invalid, "alerts.receive", "malformed batch of alerts", err)
	}
	if len(wb.Alerts) == 0 || len(wb.Alerts) > publishBatchMax {
		return errs.Newf(errs.Invalid, "alerts.receive", "a batch of %d alerts (1 to %d)", len(wb.Alerts), publishBatchMax)
	}
	var kept []Alert // indexed together once the batch commits
	for i, raw := range wb.Alerts {
		a, err := s.ParsePublish(in.From, raw)
		ok := false
		if err == nil {
			ok, err = s.storeCopy(ctx, tx, in, a)
		}
		switch {
		case err == nil:
			if ok {
				kept = append(kept, a)
			}
		case errs.Is(err, errs.Invalid) || errs.Is(err, errs.Forbidden):
			object := "alerts/" + a.ID
			if a.ID == "" {
				object = "envelope/" + in.ID
			}
			if err := s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "peer:" + in.From, Agency: in.From, Action: "alerts.receive", Object: object,
				Outcome: audit.Failed, Detail: fmt.Sprintf("alert %d of %d in the batch refused: %s", i+1, len(wb.Alerts), errs.SafeMessage(err))}); err != nil {
				return err
			}
			// The reason may quote the alert's content: it goes to the
			// audit log, not to the server log.
			s.d.Logger.Warn("alerts: a copy in a batch was refused", "from", in.From, "envelope", in.ID, "alert", i+1, "kind", errs.KindOf(err).String())
		default:
			return err
		}
	}
	s.indexAfterCommit(tx, kept...)
	return nil
}

// storeCopy keeps a checked copy received in envelope in; kept is false
// for a late copy of an alert that ended here. The caller puts kept
// copies into the index (ParsePublish lets only alerts in force through).
func (s *Service) storeCopy(ctx context.Context, tx *store.Tx, in federation.Incoming, a Alert) (kept bool, err error) {
	now := s.d.Clock.Now()
	a.EnvelopeID, a.Signature = in.ID, base64.StdEncoding.EncodeToString(in.Signature)
	a.CreatedBy, a.CreatedAt, a.UpdatedAt = a.ValidatedBy+"@"+in.From, now, now
	cur, err := s.loadAlert(ctx, tx, a.ID)
	fresh := isNoRows(err)
	switch {
	case fresh: // a first copy: nothing of it to replace
		if err := insertAlert(ctx, tx, a); err != nil {
			return false, err
		}
		if a.photo != nil {
			if err := putPhoto(ctx, tx, a.ID, *a.photo, ft(now)); err != nil {
				return false, err
			}
		}
	case err != nil:
		return false, err
	case cur.OriginNode != in.From:
		return false, &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-the-issuer", Msg: in.From + " did not issue alert " + a.ID}
	default:
		if Final(cur.Status) {
			return false, nil // ended here already: a late copy does not revive it
		}
		if err := replaceContent(ctx, tx, a); err != nil {
			return false, err
		}
		if err := s.receivePhoto(ctx, tx, a, now); err != nil {
			return false, err
		}
	}
	keys := alertKeys(a, s.d.Region)
	if fresh {
		err = insertKeys(ctx, tx, a.ID, keys)
	} else {
		err = replaceKeys(ctx, tx, a.ID, keys)
	}
	if err != nil {
		return false, err
	}
	if err := insertEvent(ctx, tx, a.ID, AlertEvent{At: now, Node: in.From, Actor: a.CreatedBy, Kind: "received", Status: a.Status,
		Note: "signed copy, envelope " + in.ID + "; SHA-256 " + a.Digest + joinNote("", "legal basis: "+a.LegalBasis)}); err != nil {
		return false, err
	}
	return true, s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: a.CreatedBy, Agency: in.From, Action: "alerts.receive", Object: "alerts/" + a.ID,
		Detail: a.Kind + " " + a.Subject + " from " + in.From + "; SHA-256 " + a.Digest})
}

// receivePhoto keeps the photo that came with a signed copy (checked by
// ParsePublish and covered by the digest), or removes one the issuer no
// longer sends.
func (s *Service) receivePhoto(ctx context.Context, tx *store.Tx, a Alert, now time.Time) error {
	if a.photo != nil {
		return putPhoto(ctx, tx, a.ID, *a.photo, ft(now))
	}
	return dropPhoto(ctx, tx, a.ID)
}

// ParseUpdate decodes and validates an alerts.update payload.
func ParseUpdate(raw []byte) (update, error) {
	const op = "alerts.receive"
	var u update
	if err := json.Unmarshal(raw, &u); err != nil {
		return u, errs.Wrap(errs.Invalid, op, "malformed alert update", err)
	}
	if u.AlertID == "" || len(u.AlertID) > 64 || u.At.IsZero() {
		return u, errs.New(errs.Invalid, op, "alert update without alert or time")
	}
	switch u.Kind {
	case "status":
		if !slices.Contains(Statuses, u.Status) || u.Status == StatusDraft {
			return u, errs.New(errs.Invalid, op, "alert update with an unknown status")
		}
	case "hidden":
	case "review":
		if u.ReviewDue.IsZero() {
			return u, errs.New(errs.Invalid, op, "review update without the date")
		}
	default:
		return u, errs.New(errs.Invalid, op, "alert update of an unknown kind")
	}
	if !utf8.ValidString(u.Reason+u.Actor) || len(u.Reason) > 8000 || len(u.Actor) > 200 {
		return u, errs.New(errs.Invalid, op, "alert update fields beyond their limits")
	}
	return u, nil
}

// handleUpdate applies an issuer's change to the local copy. An update for
// a copy not held yet waits (the copy may still be on its way).
func (s *Service) handleUpdate(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	u, err := ParseUpdate(in.Payload)
	if err != nil {
		return err
	}
	a, err := s.loadAlert(ctx, tx, u.AlertID)
	if isNoRows(err) {
		return fmt.Errorf("alerts.receive: update for alert %s: %w", u.AlertID, federation.ErrNotYet)
	}
	if err != nil {
		return err
	}
	if a.OriginNode != in.From {
		return &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-the-issuer", Msg: in.From + " did not issue alert " + a.ID}
	}
	if u.Kind == "status" && (a.Status == u.Status || Final(a.Status)) {
		return insertEvent(ctx, tx, a.ID, AlertEvent{At: u.At, Node: in.From, Actor: u.Actor + "@" + in.From, Kind: "status", Note: "update to " + u.Status + " not applied: the alert is " + a.Status + " here"})
	}
	if err := s.apply(ctx, tx, a, u, in.From); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: u.Actor + "@" + in.From, Agency: in.From, Action: "alerts.update.receive", Object: "alerts/" + a.ID, Detail: u.describe()})
}

// Flag records on this node that it will not execute a partner's alert
// on its territory, with a reason, and tells the issuer. An empty reason
// with lift=true lifts the flag.
func (s *Service) Flag(ctx context.Context, actor *auth.Principal, id, reason string, lift bool) (Alert, error) {
	const op = "alerts.Flag"
	if err := auth.Authorize(actor, auth.ActAlertsFlag); err != nil {
		return Alert{}, err
	}
	reason, err := validate.Field(op, "reason for the flag", reason, 2000, !lift)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.visible(ctx, actor, id)
	if err != nil {
		return Alert{}, err
	}
	if a.Local {
		return Alert{}, errs.New(errs.Invalid, op, "a flag is attached by a recipient country, not by the issuer")
	}
	if Final(a.Status) {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-in-force", Msg: "the alert has ended"}
	}
	if lift && !a.DoNotAct {
		return Alert{}, &errs.E{Kind: errs.Conflict, Op: op, Code: "not-flagged", Msg: "this country has not flagged the alert"}
	}
	if s.d.Fed == nil {
		return Alert{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	now := s.d.Clock.Now()
	m := flagMsg{AlertID: a.ID, Reason: reason, Lifted: lift, Actor: actor.Username, At: now}
	m.Summary = "flag on alert " + a.ID
	what := "flagged: do not act on this territory"
	if lift {
		m.Summary, what = "flag lifted on alert "+a.ID, "flag lifted"
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		stored := reason
		if lift {
			stored = ""
		}
		if err := setLocalFlag(ctx, tx, a.ID, stored, actor.Username, now); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "flag", "", joinNote(what, reason)); err != nil {
			return err
		}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: a.OriginNode, Type: TypeFlag, Conversation: "alerts/" + a.ID, Payload: m, Summary: m.Summary, Actor: actor}); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.flag", a.ID, joinNote(what, reason))
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not flag the alert", err)
	}
	s.d.Fed.Notify()
	return s.Get(ctx, actor, a.ID)
}

func parseFlag(raw []byte) (flagMsg, error) {
	var m flagMsg
	if err := json.Unmarshal(raw, &m); err != nil {
		return m, errs.Wrap(errs.Invalid, "alerts.receive", "malformed flag", err)
	}
	if m.AlertID == "" || len(m.AlertID) > 64 || m.At.IsZero() || !utf8.ValidString(m.Reason+m.Actor) || len(m.Reason) > 8000 || len(m.Actor) > 200 {
		return m, errs.New(errs.Invalid, "alerts.receive", "flag without alert or time, or beyond its limits")
	}
	if !m.Lifted && strings.TrimSpace(m.Reason) == "" {
		return m, errs.New(errs.Invalid, "alerts.receive", "flag without a reason")
	}
	return m, nil
}

// handleFlag records a recipient's flag on the issuer.
func (s *Service) handleFlag(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	m, err := parseFlag(in.Payload)
	if err != nil {
		return err
	}
	a, err := s.loadAlert(ctx, tx, m.AlertID)
	if isNoRows(err) {
		return errs.New(errs.NotFound, "alerts.receive", "flag on an unknown alert")
	}
	if err != nil {
		return err
	}
	rs, err := recipients(ctx, tx, a.ID)
	if err != nil {
		return err
	}
	if !a.Local || !slices.ContainsFunc(rs, func(r Recipient) bool { return r.Node == in.From }) {
		return &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-a-recipient", Msg: in.From + " is not a recipient of alert " + a.ID}
	}
	if err := upsertFlag(ctx, tx, a.ID, Flag{Node: in.From, Reason: m.Reason, Actor: m.Actor + "@" + in.From, At: m.At, Lifted: m.Lifted}); err != nil {
		return err
	}
	what := "flagged by " + in.From + ": not executed on its territory"
	if m.Lifted {
		what = "flag lifted by " + in.From
	}
	if err := insertEvent(ctx, tx, a.ID, AlertEvent{At: m.At, Node: in.From, Actor: m.Actor + "@" + in.From, Kind: "flag", Note: joinNote(what, m.Reason)}); err != nil {
		return err
	}
	return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: m.Actor + "@" + in.From, Agency: a.Agency, Action: "alerts.flag.receive", Object: "alerts/" + a.ID, Detail: joinNote(what, m.Reason)})
}

// RequestLift sends the flagging country an urgent request to lift its
// flag, with the issuer's reasons.
func (s *Service) RequestLift(ctx context.Context, actor *auth.Principal, id, node, note string) (Alert, error) {
	const op = "alerts.RequestLift"
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return Alert{}, err
	}
	note, err := validate.Field(op, "reason for lifting the flag", note, 2000, true)
	if err != nil {
		return Alert{}, err
	}
	a, err := s.issuerAlert(ctx, actor, op, id)
	if err != nil {
		return Alert{}, err
	}
	node = strings.ToLower(strings.TrimSpace(node))
	now := s.d.Clock.Now()
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		ok, err := setLiftAsked(ctx, tx, a.ID, node, now)
		if err != nil {
			return err
		}
		if !ok {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "not-flagged", Msg: node + " has no flag on this alert"}
		}
		m := flagMsg{Summary: "[URGENT] request to lift the flag on alert " + a.ID, AlertID: a.ID, Reason: note, Actor: actor.Username, At: now}
		if _, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeLift, Conversation: "alerts/" + a.ID, Payload: m, Summary: m.Summary, Actor: actor}); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a.ID, actor.Username, "lift_request", "", "urgent request to "+node+" to lift its flag; "+note); err != nil {
			return err
		}
		return s.queueAudit(ctx, tx, actor, "alerts.flag.lift_request", a.ID, node+"; "+note)
	})
	if err != nil {
		return Alert{}, dbErr(op, "could not send the request", err)
	}
	s.d.Fed.Notify()
	return s.Get(ctx, actor, a.ID)
}

func (s *Service) handleLift(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
	m, err := parseFlag(in.Payload)
	if err != nil {
		return err
	}
	a, err := s.loadAlert(ctx, tx, m.AlertID)
	if isNoRows(err) {
		return errs.New(errs.NotFound, "alerts.receive", "request on an unknown alert")
	}
	if err != nil {
		return err
	}
	if a.OriginNode != in.From {
		return &errs.E{Kind: errs.Forbidden, Op: "alerts.receive", Code: "not-the-issuer", Msg: in.From + " did not issue alert " + a.ID}
	}
	return insertEvent(ctx, tx, a.ID, AlertEvent{At: m.At, Node: in.From, Actor: m.Actor + "@" + in.From, Kind: "lift_request", Note: "URGENT: the issuer asks to lift this country's flag; " + m.Reason})
}
