package exchange

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Federation message types.
const (
	// TypeMessage carries one message of a thread (sensitive: NCU approval
	// on the way out, NCU routing on the way in).
	TypeMessage = "exchange.message"
	// TypeAck carries delivery and read acknowledgements (not sensitive).
	TypeAck = "exchange.ack"
)

// Config holds the module's settings.
type Config struct {
	UrgentDeadline   time.Duration // urgent requests (default 8 h)
	DatabaseDeadline time.Duration // standard information available in a database (default 3 days)
	DefaultDeadline  time.Duration // every other request (default 7 days)
	// RemindFraction of a deadline's window before expiry sends the reminder (default 0.25).
	RemindFraction   float64
	Retention        time.Duration // review date after creation (default 3 years)
	RetentionWarning time.Duration // warn owners this long before the review date (default 30 days)
	KeepExtension    time.Duration // a recorded reason to keep moves the review date this far (default 1 year)
	// RetentionAction at the review date without a reason to keep:
	// RetentionDelete (default) or RetentionAnonymise; a thread may set its own.
	RetentionAction    string
	MaxAttachmentBytes int64         // per attachment (default 1 MiB; requests are limited by --max-body-bytes too)
	MaxAttachments     int           // per message (default 10)
	Interval           time.Duration // how often the job checks deadlines and retention (default 1 min)
	RoutePoll          time.Duration // how often later messages of routed threads are auto-routed (default 1 s)
	BaseURL            string        // node URL used in e-mail notifications
}

// DefaultConfig returns the documented defaults.
func DefaultConfig() Config {
	return Config{
		UrgentDeadline: 8 * time.Hour, DatabaseDeadline: 3 * 24 * time.Hour, DefaultDeadline: 7 * 24 * time.Hour,
		RemindFraction: 0.25, Retention: 3 * 365 * 24 * time.Hour, RetentionWarning: 30 * 24 * time.Hour,
		KeepExtension: 365 * 24 * time.Hour, RetentionAction: RetentionDelete, MaxAttachmentBytes: 1 << 20, MaxAttachments: 10,
		Interval: time.Minute, RoutePoll: time.Second,
	}
}

// withDefaults fills every unset or out-of-range setting from
// DefaultConfig.
func (c Config) withDefaults() Config {
	def := DefaultConfig()
	if c.UrgentDeadline <= 0 {
		c.UrgentDeadline = def.UrgentDeadline
	}
	if c.DatabaseDeadline <= 0 {
		c.DatabaseDeadline = def.DatabaseDeadline
	}
	if c.DefaultDeadline <= 0 {
		c.DefaultDeadline = def.DefaultDeadline
	}
	if c.RemindFraction <= 0 || c.RemindFraction >= 1 {
		c.RemindFraction = def.RemindFraction
	}
	if c.Retention <= 0 {
		c.Retention = def.Retention
	}
	if c.RetentionWarning <= 0 {
		c.RetentionWarning = def.RetentionWarning
	}
	if c.KeepExtension <= 0 {
		c.KeepExtension = def.KeepExtension
	}
	if c.RetentionAction != RetentionAnonymise {
		c.RetentionAction = RetentionDelete
	}
	if c.MaxAttachmentBytes <= 0 {
		c.MaxAttachmentBytes = def.MaxAttachmentBytes
	}
	if c.MaxAttachments <= 0 {
		c.MaxAttachments = def.MaxAttachments
	}
	if c.Interval <= 0 {
		c.Interval = def.Interval
	}
	if c.RoutePoll <= 0 {
		c.RoutePoll = def.RoutePoll
	}
	return c
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: local exchange only
	Clock  clock.Clock
	Logger *slog.Logger
	Mailer Mailer // nil: no e-mail
	NodeID string
}

// Service is the exchange module of one node.
type Service struct {
	d        Deps
	cfg      Config
	importer CaseImporter
}

// New builds the service; call Register before the federation starts.
func New(d Deps, cfg Config) *Service {
	cfg = cfg.withDefaults()
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.NodeID == "" && d.Fed != nil {
		d.NodeID = d.Fed.NodeID()
	}
	return &Service{d: d, cfg: cfg}
}

// Config returns the effective settings.
func (s *Service) Config() Config { return s.cfg }

// NodeID is this node's federation ID.
func (s *Service) NodeID() string { return s.d.NodeID }

// Register binds the exchange message types to the federation layer.
func (s *Service) Register(f *federation.Service) {
	f.Register(TypeMessage, federation.TypeSpec{Sensitive: true, Handle: s.handleMessage, Describe: s.describe, Reroute: s.reroute})
	f.Register(TypeAck, federation.TypeSpec{Handle: s.handleAck})
}

// Deadline returns the response deadline of a request created at t.
func (s *Service) Deadline(t time.Time, priority string, databaseInfo bool) time.Time {
	switch {
	case priority == PriorityUrgent:
		return t.Add(s.cfg.UrgentDeadline)
	case databaseInfo:
		return t.Add(s.cfg.DatabaseDeadline)
	default:
		return t.Add(s.cfg.DefaultDeadline)
	}
}

// NewThread is a request that opens a thread.
type NewThread struct {
	Subject      string             `json:"subject" minLength:"1" maxLength:"200"`
	CrimeArea    string             `json:"crime_area,omitempty" maxLength:"100" doc:"e.g. drugs, trafficking in human beings, firearms, cybercrime"`
	Priority     string             `json:"priority" enum:"urgent,normal"`
	DatabaseInfo bool               `json:"database_info,omitempty" doc:"asks for standard information available in a database (3-day deadline instead of 7)"`
	CaseRefs     []string           `json:"case_refs,omitempty" maxItems:"20"`
	Parties      []string           `json:"parties,omitempty" maxItems:"20" doc:"other nodes (countries, regional bodies) to send the request to, through the NCUs"`
	Agencies     []string           `json:"agencies,omitempty" maxItems:"20" doc:"other agencies of this country to share the thread with"`
	Body         string             `json:"body" minLength:"1" maxLength:"100000"`
	Markings     MessageMarkings    `json:"markings"`
	Entities     []MessageEntity    `json:"entities,omitempty" maxItems:"200"`
	Attachments  []AttachmentUpload `json:"attachments,omitempty" maxItems:"10"`
	// Information opens the thread with information sent without a request
	// (e.g. details released after a hit): it has no response deadline.
	Information bool `json:"information,omitempty" doc:"information provided without a request: no response deadline"`
}

// AttachmentUpload is a file to attach.
type AttachmentUpload struct {
	Name string `json:"name" minLength:"1" maxLength:"200"`
	Data []byte `json:"data" doc:"file content (base64 in JSON)"`
}

// Reply is a message added to an existing thread.
type Reply struct {
	Kind        string             `json:"kind" enum:"answer,followup,refusal,delay"`
	Body        string             `json:"body" maxLength:"100000"`
	Markings    MessageMarkings    `json:"markings"`
	Entities    []MessageEntity    `json:"entities,omitempty" maxItems:"200"`
	Attachments []AttachmentUpload `json:"attachments,omitempty" maxItems:"10"`
	Reason      string             `json:"reason,omitempty" maxLength:"2000" doc:"required for refusal and delay"`
	NewDeadline time.Time          `json:"new_deadline,omitzero" doc:"for a delay: when the answer can be expected"`
}

// Forward sends an existing message to a node that is not yet part of the thread.
type Forward struct {
	MessageID  string `json:"message_id" minLength:"1" maxLength:"64"`
	To         string `json:"to" minLength:"2" maxLength:"32"`
	Permission string `json:"permission,omitempty" maxLength:"1000" doc:"the provider's permission (who granted it, when, reference); required when the message does not allow onward transmission"`
	Note       string `json:"note,omitempty" maxLength:"10000"`
}

// allowed attachment types: formats that do not carry executable content.
var allowedTypes = map[string][]string{
	".pdf":  {"application/pdf"},
	".png":  {"image/png"},
	".jpg":  {"image/jpeg"},
	".jpeg": {"image/jpeg"},
	".gif":  {"image/gif"},
	".txt":  {"text/plain; charset=utf-8"},
	".csv":  {"text/plain; charset=utf-8"},
}

// CheckAttachment validates one file: size, an allowed type whose content
// matches its extension, and returns it with its SHA-256.
func (s *Service) CheckAttachment(op string, u AttachmentUpload) (MessageAttachment, error) {
	name := strings.TrimSpace(path.Base(strings.ReplaceAll(u.Name, "\\", "/")))
	if name == "" || name == "." || name == "/" || utf8.RuneCountInString(name) > 200 {
		return MessageAttachment{}, errs.New(errs.Invalid, op, "an attachment needs a file name of at most 200 characters")
	}
	if len(u.Data) == 0 {
		return MessageAttachment{}, errs.Newf(errs.Invalid, op, "attachment %q is empty", name)
	}
	if int64(len(u.Data)) > s.cfg.MaxAttachmentBytes {
		return MessageAttachment{}, &errs.E{Kind: errs.TooLarge, Op: op, Code: "attachment-too-large", Msg: "attachment " + quote(name) + " is larger than the limit of " + humanBytes(s.cfg.MaxAttachmentBytes)}
	}
	ext := strings.ToLower(path.Ext(name))
	want, ok := allowedTypes[ext]
	if !ok {
		return MessageAttachment{}, &errs.E{Kind: errs.Invalid, Op: op, Code: "attachment-type", Msg: "attachment " + quote(name) + ": only PDF, PNG, JPEG, GIF, TXT and CSV files are accepted"}
	}
	got := http.DetectContentType(u.Data)
	if !slices.Contains(want, got) {
		return MessageAttachment{}, &errs.E{Kind: errs.Invalid, Op: op, Code: "attachment-type", Msg: "attachment " + quote(name) + ": the content is not a " + strings.TrimPrefix(ext, ".") + " file"}
	}
	sum := sha256.Sum256(u.Data)
	return MessageAttachment{ID: store.NewID(), Name: name, ContentType: strings.Split(got, ";")[0], Size: int64(len(u.Data)), SHA256: hex.EncodeToString(sum[:]), Data: u.Data}, nil
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func quote(s string) string { return "\"" + s + "\"" }

func cleanList(in []string, lower bool) []string {
	if lower {
		return textutil.CleanList(in, strings.ToLower)
	}
	return textutil.CleanList(in, nil)
}

func (s *Service) buildMessage(op string, actor *auth.Principal, kind, body string, m MessageMarkings, es []MessageEntity, ups []AttachmentUpload) (Message, error) {
	body = strings.TrimSpace(body)
	if body == "" && kind != KindForward {
		return Message{}, errs.New(errs.Invalid, op, "the message text is required")
	}
	if len(body) > 100000 {
		return Message{}, errs.New(errs.TooLarge, op, "the message text is limited to 100,000 characters")
	}
	if err := m.normalise(op); err != nil {
		return Message{}, err
	}
	es, err := normaliseEntities(op, es)
	if err != nil {
		return Message{}, err
	}
	if len(ups) > s.cfg.MaxAttachments {
		return Message{}, errs.Newf(errs.Invalid, op, "at most %d attachments per message", s.cfg.MaxAttachments)
	}
	msg := Message{ID: store.NewID(), Kind: kind, Node: s.d.NodeID, Author: actor.Username, Agency: actor.Agency, Body: body,
		Markings: m, Entities: es, Attachments: []MessageAttachment{}, CreatedAt: s.d.Clock.Now()}
	for _, u := range ups {
		a, err := s.CheckAttachment(op, u)
		if err != nil {
			return Message{}, err
		}
		msg.Attachments = append(msg.Attachments, a)
	}
	msg.MarkingLabel = m.Label()
	return msg, nil
}

// Compose opens a thread with a request and sends it to the parties
// through the NCU.
func (s *Service) Compose(ctx context.Context, actor *auth.Principal, in NewThread) (Thread, error) {
	var t Thread
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		t, err = s.compose(ctx, tx, actor, in)
		return err
	})
	if err != nil {
		return Thread{}, dbErr("exchange.Compose", "could not save the request", err)
	}
	return s.Thread(ctx, actor, t.ID)
}

// ComposeIn opens a thread inside the caller's transaction, so that another
// module's change and the message it sends commit together. It returns the
// thread and, per recipient node, the envelope that carries the message.
func (s *Service) ComposeIn(ctx context.Context, tx *store.Tx, actor *auth.Principal, in NewThread) (string, map[string]string, error) {
	t, err := s.compose(ctx, tx, actor, in)
	if err != nil {
		return "", nil, err
	}
	envs, err := threadEnvelopes(ctx, tx, t.ID)
	if err != nil {
		return "", nil, err
	}
	return t.ID, envs, nil
}

// compose validates a new thread and writes it, its first message, its
// envelopes and its audit entry in tx; workers are woken after commit.
func (s *Service) compose(ctx context.Context, tx *store.Tx, actor *auth.Principal, in NewThread) (Thread, error) {
	const op = "exchange.Compose"
	in.Subject = strings.TrimSpace(in.Subject)
	if in.Subject == "" || utf8.RuneCountInString(in.Subject) > 200 {
		return Thread{}, errs.New(errs.Invalid, op, "a subject of at most 200 characters is required")
	}
	in.CrimeArea = strings.TrimSpace(in.CrimeArea)
	if utf8.RuneCountInString(in.CrimeArea) > 100 {
		return Thread{}, errs.New(errs.Invalid, op, "the crime area is limited to 100 characters")
	}
	switch in.Priority {
	case "":
		in.Priority = PriorityNormal
	case PriorityUrgent, PriorityNormal:
	default:
		return Thread{}, errs.New(errs.Invalid, op, "priority must be urgent or normal")
	}
	parties := cleanList(in.Parties, true)
	parties = slices.DeleteFunc(parties, func(p string) bool { return p == s.d.NodeID })
	agencies := slices.DeleteFunc(cleanList(in.Agencies, false), func(a string) bool { return a == actor.Agency })
	if len(parties) == 0 && len(agencies) == 0 {
		return Thread{}, errs.New(errs.Invalid, op, "choose at least one recipient: another country or body, or an agency of this country")
	}
	if len(parties) > 0 && s.d.Fed == nil {
		return Thread{}, errs.New(errs.Invalid, op, "this node is not connected to other countries")
	}
	refs := cleanList(in.CaseRefs, false)
	for _, r := range refs {
		if len(r) > 100 {
			return Thread{}, errs.New(errs.Invalid, op, "case references are limited to 100 characters")
		}
	}
	kind := KindRequest
	if in.Information {
		kind = KindInformation
	}
	msg, err := s.buildMessage(op, actor, kind, in.Body, in.Markings, in.Entities, in.Attachments)
	if err != nil {
		return Thread{}, err
	}
	now := msg.CreatedAt
	t := Thread{ID: store.NewID(), Subject: in.Subject, CrimeArea: in.CrimeArea, Priority: in.Priority, DatabaseInfo: in.DatabaseInfo,
		CaseRefs: refs, Parties: append([]string{s.d.NodeID}, parties...), OriginNode: s.d.NodeID, OriginAgency: actor.Agency,
		Agency: actor.Agency, Status: StatusOpen, CreatedBy: actor.Username, CreatedAt: now, UpdatedAt: now,
		DeadlineAt: s.Deadline(now, in.Priority, in.DatabaseInfo), ReviewAt: now.Add(s.cfg.Retention)}
	if in.Information {
		t.DeadlineAt = time.Time{}
	}
	msg.ThreadID = t.ID
	msg.Recipients = parties
	err = func() error {
		if err := insertThread(ctx, tx, t); err != nil {
			return err
		}
		for _, a := range agencies {
			if err := s.share(ctx, tx, t.ID, a, actor.Username); err != nil {
				return err
			}
		}
		if err := s.insertMessage(ctx, tx, t, msg); err != nil {
			return err
		}
		if err := s.send(ctx, tx, actor, t, msg, parties, time.Time{}); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.create", Object: "thread/" + t.ID,
			Detail: "message " + msg.ID + " to " + strings.Join(append(parties, agencies...), ",") + "; " + msg.Markings.auditLabel()})
	}()
	if err != nil {
		return Thread{}, err
	}
	if len(parties) > 0 {
		tx.AfterCommit(s.d.Fed.Notify)
	}
	return t, nil
}

// wire is the payload of exchange.message.
type wire struct {
	Summary     string     `json:"summary"`
	Thread      wireThread `json:"thread"`
	Message     Message    `json:"message"`
	NewDeadline time.Time  `json:"new_deadline,omitzero"`
}

type wireThread struct {
	ID           string    `json:"id"`
	Subject      string    `json:"subject"`
	CrimeArea    string    `json:"crime_area"`
	Priority     string    `json:"priority"`
	DatabaseInfo bool      `json:"database_info"`
	CaseRefs     []string  `json:"case_refs"`
	Parties      []string  `json:"parties"`
	OriginNode   string    `json:"origin_node"`
	OriginAgency string    `json:"origin_agency"`
	CreatedAt    time.Time `json:"created_at"`
	DeadlineAt   time.Time `json:"deadline_at,omitzero"`
}

// Summary is the routing metadata the NCUs see in their queues.
func summary(t Thread, m Message) string {
	p := ""
	if t.Priority == PriorityUrgent {
		p = "[URGENT] "
	}
	return p + m.Kind + ": " + t.Subject + " (" + strings.ToUpper(m.Markings.Classification) + ")"
}

// send enqueues msg to each node in to, inside tx, and records the deliveries.
func (s *Service) send(ctx context.Context, tx *store.Tx, actor *auth.Principal, t Thread, msg Message, to []string, newDeadline time.Time) error {
	if len(to) == 0 {
		return nil
	}
	if s.d.Fed == nil {
		return errs.New(errs.Invalid, "exchange.send", "this node is not connected to other countries")
	}
	w := wire{Summary: summary(t, msg), Thread: wireThread{ID: t.ID, Subject: t.Subject, CrimeArea: t.CrimeArea, Priority: t.Priority, DatabaseInfo: t.DatabaseInfo,
		CaseRefs: t.CaseRefs, Parties: t.Parties, OriginNode: t.OriginNode, OriginAgency: t.OriginAgency, CreatedAt: t.CreatedAt, DeadlineAt: t.DeadlineAt},
		Message: msg, NewDeadline: newDeadline}
	w.Message.Deliveries = nil
	for _, node := range to {
		envID, err := s.d.Fed.Enqueue(ctx, tx, federation.Outgoing{To: node, Type: TypeMessage, Conversation: t.ID, Payload: w, Summary: w.Summary, Actor: actor})
		if err != nil {
			return err
		}
		if err := insertDelivery(ctx, tx, msg.ID, t.ID, node, envID, time.Time{}); err != nil {
			return err
		}
	}
	return nil
}

// dbErr keeps domain errors and wraps anything else.
func dbErr(op, msg string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, msg, err)
}

// Reply adds an answer, follow-up, refusal or delay notice to a thread and
// sends it to the other participating nodes.
func (s *Service) Reply(ctx context.Context, actor *auth.Principal, threadID string, in Reply) (Message, error) {
	const op = "exchange.Reply"
	switch in.Kind {
	case KindAnswer, KindFollowUp, KindRefusal, KindDelay:
	default:
		return Message{}, errs.New(errs.Invalid, op, "kind must be answer, followup, refusal or delay")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	if (in.Kind == KindRefusal || in.Kind == KindDelay) && in.Reason == "" {
		return Message{}, errs.New(errs.Invalid, op, "a reason is required when a request is refused or delayed")
	}
	if len(in.Reason) > 2000 {
		return Message{}, errs.New(errs.Invalid, op, "the reason is limited to 2,000 characters")
	}
	if in.Body == "" && in.Reason != "" {
		in.Body = in.Reason
	}
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return Message{}, err
	}
	if in.Kind == KindDelay && !in.NewDeadline.IsZero() && !in.NewDeadline.After(s.d.Clock.Now()) {
		return Message{}, errs.New(errs.Invalid, op, "the new deadline must be in the future")
	}
	msg, err := s.buildMessage(op, actor, in.Kind, in.Body, in.Markings, in.Entities, in.Attachments)
	if err != nil {
		return Message{}, err
	}
	msg.ThreadID, msg.Reason = t.ID, in.Reason
	to, err := s.recipients(ctx, t)
	if err != nil {
		return Message{}, err
	}
	msg.Recipients = to
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.insertMessage(ctx, tx, t, msg); err != nil {
			return err
		}
		if err := s.applyKind(ctx, tx, t.ID, msg.Kind, in.NewDeadline, msg.CreatedAt); err != nil {
			return err
		}
		if err := s.send(ctx, tx, actor, t, msg, to, in.NewDeadline); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.message.send", Object: "thread/" + t.ID,
			Detail: msg.Kind + " " + msg.ID + " to " + strings.Join(to, ",") + "; " + msg.Markings.auditLabel()})
	})
	if err != nil {
		return Message{}, dbErr(op, "could not save the message", err)
	}
	if len(to) > 0 {
		s.d.Fed.Notify()
	}
	return msg, nil
}

// recipients are the thread's other nodes, plus the nodes a message of this
// thread was forwarded to.
func (s *Service) recipients(ctx context.Context, t Thread) ([]string, error) {
	var out []string
	for _, p := range t.Parties {
		if p != s.d.NodeID && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// applyKind updates the thread's state for a new message.
func (s *Service) applyKind(ctx context.Context, tx *store.Tx, threadID, kind string, newDeadline, at time.Time) error {
	switch kind {
	case KindAnswer:
		return setThreadStatus(ctx, tx, threadID, StatusAnswered, at)
	case KindRefusal:
		return setThreadStatus(ctx, tx, threadID, StatusRefused, at)
	case KindDelay:
		if !newDeadline.IsZero() {
			return setThreadDeadline(ctx, tx, threadID, newDeadline, at)
		}
	}
	return touchThread(ctx, tx, threadID, at)
}

// ForwardMessage sends a message of a thread to a node that is not part of
// it. A message that does not allow onward transmission (or carries H2) is
// refused unless the provider's permission is recorded; a forward with
// permission records it in the forwarded message and the audit log.
func (s *Service) ForwardMessage(ctx context.Context, actor *auth.Principal, threadID string, in Forward) (Message, error) {
	const op = "exchange.Forward"
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return Message{}, err
	}
	orig, err := s.message(ctx, t.ID, in.MessageID)
	if err != nil {
		return Message{}, err
	}
	to := strings.ToLower(strings.TrimSpace(in.To))
	in.Permission = strings.TrimSpace(in.Permission)
	if to == "" || to == s.d.NodeID {
		return Message{}, errs.New(errs.Invalid, op, "choose another country or body to forward to")
	}
	if slices.Contains(t.Parties, to) {
		return Message{}, errs.Newf(errs.Invalid, op, "%s already takes part in this thread", to)
	}
	restricted := !orig.Markings.OnwardAllowed || orig.Markings.Has("H2")
	if restricted && orig.Node != s.d.NodeID && in.Permission == "" {
		_ = s.d.Audit.Record(ctx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.message.forward", Object: "thread/" + t.ID,
			Outcome: audit.Denied, Detail: "message " + orig.ID + " to " + to + ": no onward dissemination without the provider's permission"})
		return Message{}, &errs.E{Kind: errs.Forbidden, Op: op, Code: "no-onward-dissemination",
			Msg: "this message may not be passed on to another country or body without the permission of its provider (" + orig.Node + "); record the permission to forward it"}
	}
	if len(in.Permission) > 1000 {
		return Message{}, errs.New(errs.Invalid, op, "the permission is limited to 1,000 characters")
	}
	body := orig.Body
	if n := strings.TrimSpace(in.Note); n != "" {
		body = n + "\n\n--- forwarded message from " + orig.Node + " / " + orig.Agency + " ---\n" + orig.Body
	}
	msg := Message{ID: store.NewID(), ThreadID: t.ID, Kind: KindForward, Node: s.d.NodeID, Author: actor.Username, Agency: actor.Agency, Body: body,
		Markings: orig.Markings, MarkingLabel: orig.Markings.Label(), Entities: orig.Entities, Attachments: []MessageAttachment{},
		ForwardedFrom: orig.ID, Permission: in.Permission, Recipients: []string{to}, CreatedAt: s.d.Clock.Now()}
	atts, err := s.attachments(ctx, orig.ID, true)
	if err != nil {
		return Message{}, err
	}
	for _, a := range atts {
		a.ID = store.NewID()
		msg.Attachments = append(msg.Attachments, a)
	}
	// The third party sees a thread between itself and this node only.
	fwd := t
	fwd.Parties = []string{s.d.NodeID, to}
	detail := "message " + orig.ID + " as " + msg.ID + " to " + to
	if in.Permission != "" {
		detail += "; permission: " + in.Permission
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.insertMessage(ctx, tx, t, msg); err != nil {
			return err
		}
		if err := touchThread(ctx, tx, t.ID, msg.CreatedAt); err != nil {
			return err
		}
		if err := s.send(ctx, tx, actor, fwd, msg, []string{to}, time.Time{}); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.message.forward", Object: "thread/" + t.ID, Detail: detail})
	})
	if err != nil {
		return Message{}, dbErr(op, "could not forward the message", err)
	}
	s.d.Fed.Notify()
	return msg, nil
}

// Share gives another agency of this country access to a thread.
func (s *Service) Share(ctx context.Context, actor *auth.Principal, threadID, agency string) error {
	const op = "exchange.Share"
	agency = strings.TrimSpace(agency)
	if agency == "" || len(agency) > 100 {
		return errs.New(errs.Invalid, op, "choose the agency to share the thread with")
	}
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return err
	}
	if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := s.share(ctx, tx, t.ID, agency, actor.Username); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.share", Object: "thread/" + t.ID, Detail: "with " + agency})
	}); err != nil {
		return dbErr(op, "could not share the thread", err)
	}
	return nil
}

func (s *Service) share(ctx context.Context, tx *store.Tx, threadID, agency, by string) error {
	if added, err := insertShare(ctx, tx, threadID, agency, by, s.d.Clock.Now()); err != nil || !added {
		return err
	}
	return s.notify(ctx, tx, agency, "", threadID, "shared", "A thread was shared with your agency")
}

// KeepThread records a reason to keep a thread at its next review date;
// the retention job then moves the review date instead of deleting it.
func (s *Service) KeepThread(ctx context.Context, actor *auth.Principal, threadID, reason string) (time.Time, error) {
	const op = "exchange.Keep"
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > 1000 {
		return time.Time{}, errs.New(errs.Invalid, op, "a reason to keep the thread (at most 1,000 characters) is required")
	}
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return time.Time{}, err
	}
	if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := setKeepReason(ctx, tx, t.ID, reason); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.keep", Object: "thread/" + t.ID,
			Detail: "review date " + store.FormatTime(t.ReviewAt) + "; reason: " + reason})
	}); err != nil {
		return time.Time{}, dbErr(op, "could not record the reason", err)
	}
	return t.ReviewAt, nil
}

// SetRetentionAction chooses what happens to a thread at its review date
// when no reason to keep it is recorded: RetentionDelete, RetentionAnonymise,
// or "" for the node's setting. Audited.
func (s *Service) SetRetentionAction(ctx context.Context, actor *auth.Principal, threadID, action string) (Thread, error) {
	const op = "exchange.SetRetentionAction"
	action = strings.ToLower(strings.TrimSpace(action))
	if action == "anonymize" {
		action = RetentionAnonymise
	}
	if action != "" && action != RetentionDelete && action != RetentionAnonymise {
		return Thread{}, errs.New(errs.Invalid, op, "the retention action must be delete, anonymise or empty for the node's setting")
	}
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return Thread{}, err
	}
	if !t.AnonymisedAt.IsZero() {
		return Thread{}, errs.New(errs.Conflict, op, "the thread is already anonymised")
	}
	t.RetentionAction = s.retentionAction(action)
	if err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := setRetentionAction(ctx, tx, t.ID, action); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.thread.retention", Object: "thread/" + t.ID,
			Detail: "at review " + store.FormatTime(t.ReviewAt) + ": " + t.RetentionAction})
	}); err != nil {
		return Thread{}, dbErr(op, "could not record the retention action", err)
	}
	return t, nil
}
