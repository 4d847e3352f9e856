package jit

import (
	"encoding/json"
	"slices"
	"time"
)

// Workspace kinds.
const (
	KindJIT      = "jit"      // joint investigation team under a signed agreement
	KindParallel = "parallel" // coordinated parallel investigation, no agreement
)

// Member roles inside a workspace. The node-level role (auth) decides what
// a user may do on their node at all; the member role decides what they may
// do inside one workspace.
const (
	RoleLeader     = "leader"     // JIT leader (coordinator of a parallel investigation)
	RoleProsecutor = "prosecutor" // judicial authority of a party
	RolePolice     = "police"     // investigator of a party
	RoleAnalyst    = "analyst"
	RoleObserver   = "observer" // e.g. SELEC, Europol, Eurojust: reads and writes messages
)

// MemberRoles lists the roles in display order.
var MemberRoles = []string{RoleLeader, RoleProsecutor, RolePolice, RoleAnalyst, RoleObserver}

// Event kinds: every change to a workspace is one of these.
const (
	EvCreate      = "create"
	EvMemberAdd   = "member.add"
	EvExtend      = "extend"
	EvTaskAdd     = "task.add"
	EvTaskStatus  = "task.status"
	EvPlanApprove = "plan.approve"
	EvMessage     = "message"
	EvEvidenceAdd = "evidence.add"
	EvTransfer    = "evidence.transfer"
	EvAccess      = "evidence.access"
	EvAuthorise   = "evidence.authorise"
	EvCaseLink    = "case.link"
	EvTargetAdd   = "target.add"
	EvWarning     = "deconflict.warning"
	EvExchangeAdd = "exchange.add"
	EvAgree       = "exchange.agree"
)

// Task statuses.
const (
	TaskOpen       = "open"
	TaskInProgress = "in_progress"
	TaskDone       = "done"
)

// Plan statuses: any change to the tasks sends an approved plan back to
// draft, so the leader approves what is actually in it.
const (
	PlanDraft    = "draft"
	PlanApproved = "approved"
)

// Actor identifies who made a change: a user of a node, or that node's
// system (background jobs, receipts).
type Actor struct {
	Node     string `json:"node"`
	Username string `json:"username"`
	Agency   string `json:"agency,omitempty"`
}

// SystemUser is the username of changes a node makes by itself.
const SystemUser = "system"

func (a Actor) String() string { return a.Username + "@" + a.Node }

// Member is a person in a workspace.
type Member struct {
	ID       string    `json:"id"`
	Node     string    `json:"node" doc:"node (country or body) of the member's agency"`
	Username string    `json:"username" doc:"the member's username on that node"`
	Name     string    `json:"name"`
	Agency   string    `json:"agency"`
	Role     string    `json:"role" enum:"leader,prosecutor,police,analyst,observer"`
	AddedAt  time.Time `json:"added_at"`
}

// Task is one item of the operational action plan.
type Task struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Owner       string    `json:"owner" doc:"member ID"`
	OwnerLabel  string    `json:"owner_label,omitempty"`
	DueDate     string    `json:"due_date,omitempty" doc:"YYYY-MM-DD"`
	Status      string    `json:"status" enum:"open,in_progress,done"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Extension records one extension of the JIT's duration.
type Extension struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// TimelineEvent is one sequenced change, as replicated to every party.
type TimelineEvent struct {
	Workspace string          `json:"workspace"`
	Seq       int64           `json:"seq"`
	Kind      string          `json:"kind"`
	Actor     Actor           `json:"actor"`
	Summary   string          `json:"summary"`
	Data      json.RawMessage `json:"data,omitempty"`
	At        time.Time       `json:"at"`
}

// TeamMessage is one post on the team's channel.
type TeamMessage struct {
	ID     string    `json:"id"`
	Node   string    `json:"node"`
	Author string    `json:"author"`
	Body   string    `json:"body"`
	At     time.Time `json:"at"`
}

// Evidence is one item of the evidence register.
type Evidence struct {
	ID              string    `json:"id"`
	Workspace       string    `json:"workspace"`
	Title           string    `json:"title"`
	Description     string    `json:"description,omitempty"`
	SHA256          string    `json:"sha256"`
	Size            int64     `json:"size"`
	FileName        string    `json:"file_name,omitempty"`
	ContentType     string    `json:"content_type,omitempty"`
	Origin          string    `json:"origin" doc:"where and how it was obtained"`
	CollectingParty string    `json:"collecting_party" doc:"node of the party that collected it"`
	LegalBasis      string    `json:"legal_basis"`
	GoverningLaw    string    `json:"governing_law" doc:"node of the party whose law governs its use"`
	Custodian       string    `json:"custodian" doc:"node of the party that holds it now"`
	UseAuthorised   bool      `json:"use_authorised" doc:"a prosecutor of the governing party authorised its use in proceedings"`
	UseAuthorisedBy string    `json:"use_authorised_by,omitempty"`
	RegisteredBy    string    `json:"registered_by"`
	RegisteredAt    time.Time `json:"registered_at"`
	// Node-local: where this node holds the file, if at all.
	FileHere string    `json:"file_here,omitempty" enum:"store,transfer," doc:"store: kept by the registering node; transfer: in this node's transfer area until downloaded"`
	PurgeAt  time.Time `json:"purge_at,omitzero"`
	Custody  []Custody `json:"custody,omitempty"`
	ChainOK  bool      `json:"chain_ok"`
}

// Custody is one entry of an item's chain of custody.
type Custody struct {
	N         int64     `json:"n"`
	Action    string    `json:"action" enum:"registered,transferred,received,accessed,downloaded,purged,use_authorised"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Actor     string    `json:"actor"`
	ActorNode string    `json:"actor_node"`
	Note      string    `json:"note,omitempty"`
	At        time.Time `json:"at"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

// CaseLink is a national case linked to the workspace.
type CaseLink struct {
	Node     string    `json:"node"`
	CaseRef  string    `json:"case_ref"`
	Note     string    `json:"note,omitempty"`
	LinkedBy string    `json:"linked_by"`
	At       time.Time `json:"at"`
}

// Target is a person or location a party plans to act against.
type Target struct {
	ID      string            `json:"id"`
	Node    string            `json:"node"`
	Kind    string            `json:"kind" enum:"person,location"`
	Label   string            `json:"label"`
	Fields  map[string]string `json:"fields"`
	AddedBy string            `json:"added_by"`
	At      time.Time         `json:"at"`
}

// Warning is a deconfliction warning: two parties target the same person
// or location.
type Warning struct {
	ID          string    `json:"id"`
	TargetA     string    `json:"target_a"`
	TargetB     string    `json:"target_b"`
	NodeA       string    `json:"node_a"`
	NodeB       string    `json:"node_b"`
	Kind        string    `json:"kind"`
	Score       float64   `json:"score"`
	Explanation string    `json:"explanation"`
	At          time.Time `json:"at"`
}

// ExchangeItem is one line of the agreed exchange plan.
type ExchangeItem struct {
	ID       string    `json:"id"`
	What     string    `json:"what"`
	From     string    `json:"from"`
	To       string    `json:"to"`
	Channel  string    `json:"channel,omitempty"`
	Schedule string    `json:"schedule,omitempty"`
	At       time.Time `json:"at"`
}

// Rejection is a change submitted from this node that the leader refused.
type Rejection struct {
	ID     string    `json:"id"`
	Kind   string    `json:"kind"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Pending is a change this node sent to the leader node and that the
// leader has not yet confirmed or refused.
type Pending struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Actor       string    `json:"actor"`
	Summary     string    `json:"summary"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// WorkspaceSummary is a workspace in lists.
type WorkspaceSummary struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind" enum:"jit,parallel"`
	Reference  string    `json:"reference"`
	Title      string    `json:"title"`
	LeaderNode string    `json:"leader_node"`
	Parties    []string  `json:"parties"`
	StartDate  string    `json:"start_date,omitempty"`
	EndDate    string    `json:"end_date,omitempty"`
	PlanStatus string    `json:"plan_status"`
	MyRole     string    `json:"my_role"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Workspace is the full shared state of a JIT or parallel investigation as
// this node holds it.
type Workspace struct {
	ID             string         `json:"id"`
	Kind           string         `json:"kind" enum:"jit,parallel"`
	LeaderNode     string         `json:"leader_node" doc:"the node that orders and replicates every change"`
	Reference      string         `json:"reference"`
	Title          string         `json:"title"`
	Template       string         `json:"template,omitempty"`
	Purpose        string         `json:"purpose"`
	LegalBasis     string         `json:"legal_basis"`
	Parties        []string       `json:"parties"`
	StartDate      string         `json:"start_date,omitempty"`
	EndDate        string         `json:"end_date,omitempty"`
	Extensions     []Extension    `json:"extensions"`
	PlanStatus     string         `json:"plan_status" enum:"draft,approved"`
	PlanVersion    int64          `json:"plan_version"`
	PlanApprovedBy string         `json:"plan_approved_by,omitempty"`
	PlanApprovedAt time.Time      `json:"plan_approved_at,omitzero"`
	ExchangeAgreed []string       `json:"exchange_agreed" doc:"parties that agreed the current exchange plan"`
	LastSeq        int64          `json:"last_seq"`
	CreatedAt      time.Time      `json:"created_at"`
	CreatedBy      string         `json:"created_by"`
	UpdatedAt      time.Time      `json:"updated_at"`
	Members        []Member       `json:"members"`
	Tasks          []Task         `json:"tasks"`
	Messages       []TeamMessage  `json:"messages,omitempty"`
	Evidence       []Evidence     `json:"evidence,omitempty"`
	Cases          []CaseLink     `json:"cases,omitempty"`
	Targets        []Target       `json:"targets,omitempty"`
	Warnings       []Warning      `json:"warnings,omitempty"`
	Exchange       []ExchangeItem `json:"exchange_plan,omitempty"`
	Rejections     []Rejection    `json:"rejections,omitempty"`
	Pending        []Pending      `json:"pending,omitempty" doc:"changes made here and sent to the leader node, not yet confirmed"`
	Me             *Member        `json:"me,omitempty" doc:"the caller's membership"`
}

// ExchangeAgreedByAll reports whether every party agreed the exchange plan.
func (w Workspace) ExchangeAgreedByAll() bool {
	if len(w.Exchange) == 0 {
		return false
	}
	for _, p := range w.Parties {
		if !slices.Contains(w.ExchangeAgreed, p) {
			return false
		}
	}
	return true
}

// member returns the member with the given node and username.
func (w *Workspace) member(node, username string) *Member {
	for i := range w.Members {
		if w.Members[i].Node == node && w.Members[i].Username == username {
			return &w.Members[i]
		}
	}
	return nil
}

func (w *Workspace) memberByID(id string) *Member {
	for i := range w.Members {
		if w.Members[i].ID == id {
			return &w.Members[i]
		}
	}
	return nil
}

func (w *Workspace) task(id string) *Task {
	for i := range w.Tasks {
		if w.Tasks[i].ID == id {
			return &w.Tasks[i]
		}
	}
	return nil
}

// Inputs.

// MemberInput names a member to add.
type MemberInput struct {
	Node     string `json:"node" maxLength:"32"`
	Username string `json:"username" maxLength:"100"`
	Name     string `json:"name,omitempty" maxLength:"200"`
	Agency   string `json:"agency,omitempty" maxLength:"200"`
	Role     string `json:"role" enum:"leader,prosecutor,police,analyst,observer"`
}

// TaskInput is a new task of the action plan.
type TaskInput struct {
	Title       string `json:"title" maxLength:"300"`
	Description string `json:"description,omitempty" maxLength:"5000"`
	Owner       string `json:"owner,omitempty" maxLength:"140" doc:"member ID, or username@node"`
	DueDate     string `json:"due_date,omitempty" maxLength:"10" doc:"YYYY-MM-DD"`
}

// CreateInput creates a JIT (from a template agreement) or a parallel
// investigation. The caller's node becomes the leader node.
type CreateInput struct {
	Kind       string        `json:"kind,omitempty" enum:"jit,parallel," doc:"set by the endpoint"`
	Template   string        `json:"template,omitempty" maxLength:"64" doc:"template agreement; fills legal basis, purpose and duration when empty"`
	Reference  string        `json:"reference,omitempty" maxLength:"100"`
	Title      string        `json:"title" maxLength:"300"`
	Purpose    string        `json:"purpose,omitempty" maxLength:"5000"`
	LegalBasis string        `json:"legal_basis,omitempty" maxLength:"1000"`
	Parties    []string      `json:"parties,omitempty" maxItems:"20" doc:"party nodes; members' nodes are added"`
	StartDate  string        `json:"start_date,omitempty" maxLength:"10"`
	EndDate    string        `json:"end_date,omitempty" maxLength:"10"`
	Members    []MemberInput `json:"members" maxItems:"200"`
	Tasks      []TaskInput   `json:"tasks,omitempty" maxItems:"200"`
}

// EvidenceInput registers an item of evidence, with or without a file.
type EvidenceInput struct {
	Title           string `json:"title" maxLength:"300"`
	Description     string `json:"description,omitempty" maxLength:"5000"`
	Origin          string `json:"origin" maxLength:"1000"`
	CollectingParty string `json:"collecting_party,omitempty" maxLength:"32" doc:"default: your node"`
	LegalBasis      string `json:"legal_basis" maxLength:"1000"`
	GoverningLaw    string `json:"governing_law,omitempty" maxLength:"32" doc:"party node whose law governs use; default: the collecting party"`
	SHA256          string `json:"sha256,omitempty" maxLength:"64" doc:"hash of an item held outside Liaison; computed when a file is given"`
	FileName        string `json:"file_name,omitempty" maxLength:"255"`
	ContentType     string `json:"content_type,omitempty" maxLength:"100"`
	Data            []byte `json:"data,omitempty" doc:"file content (base64), encrypted at rest"`
}

// TargetInput declares a target of a parallel investigation.
type TargetInput struct {
	Kind   string            `json:"kind" enum:"person,location"`
	Fields map[string]string `json:"fields" doc:"person: given_name, family_name, date_of_birth, personal_id; location: address, city"`
}

// ExchangeInput adds a line to the exchange plan.
type ExchangeInput struct {
	What     string `json:"what" maxLength:"1000"`
	From     string `json:"from" maxLength:"32"`
	To       string `json:"to" maxLength:"32"`
	Channel  string `json:"channel,omitempty" maxLength:"200"`
	Schedule string `json:"schedule,omitempty" maxLength:"200"`
}

// change is the data of an event: exactly the fields its kind needs.
type change struct {
	Workspace *Workspace    `json:"workspace,omitempty"`
	Member    *Member       `json:"member,omitempty"`
	Task      *Task         `json:"task,omitempty"`
	Extension *Extension    `json:"extension,omitempty"`
	Message   *TeamMessage  `json:"message,omitempty"`
	Evidence  *Evidence     `json:"evidence,omitempty"`
	Custody   *Custody      `json:"custody,omitempty"`
	Evidence2 string        `json:"evidence_id,omitempty"`
	Case      *CaseLink     `json:"case,omitempty"`
	Target    *Target       `json:"target,omitempty"`
	Warning   *Warning      `json:"warning,omitempty"`
	Exchange  *ExchangeItem `json:"exchange,omitempty"`
	// Submission is the member's submission this change came from, so the
	// member's node can clear it from its pending list.
	Submission string `json:"submission,omitempty"`
}
