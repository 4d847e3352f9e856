package directory

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Usage counts what was done under an agreement or mechanism.
type Usage struct {
	Requests        int `json:"requests"`
	JITs            int `json:"jits"`
	JointOperations int `json:"joint_operations"`
	Trainings       int `json:"trainings"`
	Meetings        int `json:"meetings"`
	LastActivity    Day `json:"last_activity,omitempty"`
}

func (u Usage) total() int { return u.Requests + u.JITs + u.JointOperations + u.Trainings + u.Meetings }

func (u *Usage) add(o Usage) {
	u.Requests += o.Requests
	u.JITs += o.JITs
	u.JointOperations += o.JointOperations
	u.Trainings += o.Trainings
	u.Meetings += o.Meetings
	if o.LastActivity > u.LastActivity {
		u.LastActivity = o.LastActivity
	}
}

// UsageSource is the documented interface through which other modules
// report use of a framework: exchange (requests sent under an agreement),
// mla (letters rogatory), jit (teams set up under it) and activities
// (trainings and joint operations). subjectKind is "agreement" or
// "mechanism"; subjectID the directory ID. A module that has nothing to
// report returns a zero Usage.
type UsageSource interface {
	Usage(ctx context.Context, subjectKind, subjectID string) (Usage, error)
}

// ErrNotCovered is returned by a UsageSource for a subject kind it does not
// report on (e.g. judicial requests name agreements, not mechanisms); the
// indicator then reads "no data yet" without an error.
var ErrNotCovered = errors.New("directory: the module does not report on this kind of subject")

// UsageDetailer may be implemented by a UsageSource to add one line of
// detail to its indicator, e.g. the turnaround of requests per country pair.
type UsageDetailer interface {
	UsageDetail(ctx context.Context, subjectKind, subjectID string) (string, error)
}

// UsageModules are the modules expected to report; until one registers,
// its indicators read "no data yet".
var UsageModules = []string{"exchange", "mla", "jit", "activities"}

// RegisterUsageSource connects a module's indicators to the implementation record.
func (s *Service) RegisterUsageSource(module string, u UsageSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.usage[module] = u
}

// Indicator is one module's report.
type Indicator struct {
	Source string `json:"source"`
	Usage
	NoData bool   `json:"no_data" doc:"the module does not report yet"`
	Error  string `json:"error,omitempty"`
	Detail string `json:"detail,omitempty" doc:"module-specific detail, e.g. turnaround per country pair"`
}

// Activity is a manual entry in the implementation record.
type Activity struct {
	ID          string    `json:"id"`
	SubjectKind string    `json:"subject_kind"`
	SubjectID   string    `json:"subject_id"`
	Kind        string    `json:"kind"`
	Count       int       `json:"count"`
	OccurredOn  Day       `json:"occurred_on"`
	Note        string    `json:"note,omitempty"`
	OwnerNode   string    `json:"owner_node"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

// ActivityInput records use of a framework by hand.
type ActivityInput struct {
	Kind       string `json:"kind" maxLength:"30" doc:"request, jit, joint_operation, training, meeting"`
	Count      int    `json:"count,omitempty" minimum:"0" maximum:"100000" doc:"defaults to 1"`
	OccurredOn string `json:"occurred_on" maxLength:"10" doc:"YYYY-MM-DD"`
	Note       string `json:"note,omitempty" maxLength:"1000"`
}

// Implementation is the record of use of one agreement or mechanism.
type Implementation struct {
	SubjectKind string      `json:"subject_kind"`
	SubjectID   string      `json:"subject_id"`
	Status      string      `json:"status" doc:"assessed status: active, limited, dormant, declaratory, unknown"`
	StatusLabel string      `json:"status_label"`
	StatusNote  string      `json:"status_note,omitempty"`
	Indicators  []Indicator `json:"indicators"`
	Manual      []Activity  `json:"manual"`
	Totals      Usage       `json:"totals"`
	NoData      bool        `json:"no_data" doc:"no module reports and no manual entry yet"`
	// Suggested is what the recorded use suggests, for comparison with the
	// assessed status ("declaratory" on paper but used monthly, or the reverse).
	Suggested string `json:"suggested,omitempty"`
}

func (s *Service) subject(ctx context.Context, q store.Querier, kind, id string) (status, note, realID string, err error) {
	switch kind {
	case "agreement":
		a, err := s.agreement(ctx, q, id)
		return a.Status, a.StatusNote, a.ID, err
	case "mechanism":
		m, err := s.mechanism(ctx, q, id)
		return m.Status, m.StatusNote, m.ID, err
	}
	return "", "", "", errs.Newf(errs.Invalid, "directory.Implementation", "subject kind %q must be agreement or mechanism", textutil.Ellipsis(kind, 20))
}

// AddActivity adds a manual entry to the record of use. Every node records
// its own use, so any node's administrator may add one.
func (s *Service) AddActivity(ctx context.Context, p *auth.Principal, subjectKind, subjectID string, in ActivityInput) (Activity, error) {
	const op = "directory.AddActivity"
	if err := auth.Authorize(p, auth.ActDirActivity); err != nil {
		return Activity{}, err
	}
	_, _, realID, err := s.subject(ctx, s.st, subjectKind, subjectID)
	if err != nil {
		return Activity{}, err
	}
	k, ok := resolveCode(ActivityKinds, in.Kind)
	if !ok {
		return Activity{}, errs.Newf(errs.Invalid, op, "activity kind %q is not known; use one of %s", textutil.Ellipsis(in.Kind, 30), slugs(ActivityKinds))
	}
	if in.Count == 0 {
		in.Count = 1
	}
	if in.Count < 0 || in.Count > 100000 {
		return Activity{}, errs.New(errs.Invalid, op, "count must be between 1 and 100000")
	}
	day, err := parseDay(op, "date", in.OccurredOn)
	if err != nil {
		return Activity{}, err
	}
	if day == "" {
		return Activity{}, errs.New(errs.Invalid, op, "the date of the activity is required")
	}
	if day > s.today() {
		return Activity{}, errs.Newf(errs.Invalid, op, "the activity date %s is in the future; record activities once they happened", day)
	}
	if in.Note, err = text(op, "note", in.Note, 1000, false); err != nil {
		return Activity{}, err
	}
	a := Activity{ID: store.NewID(), SubjectKind: subjectKind, SubjectID: realID, Kind: k, Count: in.Count, OccurredOn: day, Note: in.Note,
		OwnerNode: s.node, CreatedBy: actorName(p), CreatedAt: s.clock.Now()}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := insertManualActivity(ctx, tx, a); err != nil {
			return dbErr(op, err)
		}
		return s.recordTx(ctx, tx, p, "directory.activity.add", "directory/"+subjectKind+"/"+realID, fmt.Sprintf("%s x%d on %s", k, a.Count, day))
	})
	if err != nil {
		return Activity{}, err
	}
	return a, nil
}

// Implementation returns the record of use of an agreement or mechanism.
func (s *Service) Implementation(ctx context.Context, p *auth.Principal, subjectKind, subjectID string) (Implementation, error) {
	const op = "directory.Implementation"
	status, note, id, err := s.subject(ctx, s.st, subjectKind, subjectID)
	if err != nil {
		return Implementation{}, err
	}
	im := Implementation{SubjectKind: subjectKind, SubjectID: id, Status: status, StatusLabel: Label(Statuses, status), StatusNote: note, Indicators: []Indicator{}, Manual: []Activity{}}
	s.mu.RLock()
	sources := map[string]UsageSource{}
	for k, v := range s.usage {
		sources[k] = v
	}
	s.mu.RUnlock()
	names := append([]string(nil), UsageModules...)
	for k := range sources {
		if !slices.Contains(names, k) {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	reported := false
	for _, name := range names {
		src, ok := sources[name]
		if !ok {
			im.Indicators = append(im.Indicators, Indicator{Source: name, NoData: true})
			continue
		}
		u, err := src.Usage(ctx, subjectKind, id)
		if errors.Is(err, ErrNotCovered) {
			im.Indicators = append(im.Indicators, Indicator{Source: name, NoData: true})
			continue
		}
		if err != nil {
			s.logger.Warn("implementation indicator failed", "source", name, "subject", id, "err", err)
			im.Indicators = append(im.Indicators, Indicator{Source: name, NoData: true, Error: "the module did not answer"})
			continue
		}
		reported = true
		ind := Indicator{Source: name, Usage: u}
		if d, ok := src.(UsageDetailer); ok {
			if ind.Detail, err = d.UsageDetail(ctx, subjectKind, id); err != nil {
				s.logger.Warn("implementation detail failed", "source", name, "subject", id, "err", err)
			}
		}
		im.Indicators = append(im.Indicators, ind)
		im.Totals.add(u)
	}
	manualRows, err := manualActivities(ctx, s.st, subjectKind, id)
	if err != nil {
		return Implementation{}, dbErr(op, err)
	}
	var manual Usage
	for _, a := range manualRows {
		im.Manual = append(im.Manual, a)
		var u Usage
		switch a.Kind {
		case "request":
			u.Requests = a.Count
		case "jit":
			u.JITs = a.Count
		case "joint_operation":
			u.JointOperations = a.Count
		case "training":
			u.Trainings = a.Count
		case "meeting":
			u.Meetings = a.Count
		}
		u.LastActivity = a.OccurredOn
		manual.add(u)
	}
	im.Totals.add(manual)
	im.NoData = !reported && len(im.Manual) == 0
	im.Suggested = s.suggest(im)
	return im, s.record(ctx, p, "directory.implementation.view", "directory/"+subjectKind+"/"+id, "")
}

// suggest reads the recorded use: activity in the last year suggests the
// framework lives; none for two years suggests it is dormant.
func (s *Service) suggest(im Implementation) string {
	if im.NoData || im.Totals.LastActivity == "" {
		return ""
	}
	last, err := time.Parse("2006-01-02", string(im.Totals.LastActivity))
	if err != nil {
		return ""
	}
	age := s.clock.Now().Sub(last)
	switch {
	case age <= 365*24*time.Hour && im.Totals.total() >= 5:
		return "active"
	case age <= 2*365*24*time.Hour:
		return "limited"
	default:
		return "dormant"
	}
}

// SetStatus records an assessment of whether a framework is used.
func (s *Service) SetStatus(ctx context.Context, p *auth.Principal, subjectKind, subjectID, status, note string) error {
	const op = "directory.SetStatus"
	if !validCode(Statuses, status) {
		return errs.Newf(errs.Invalid, op, "status %q is not known; use one of %s", textutil.Ellipsis(status, 30), slugs(Statuses))
	}
	note, err := text(op, "status note", note, 1000, false)
	if err != nil {
		return err
	}
	var owner, table, id string
	switch subjectKind {
	case "agreement":
		a, err := s.agreement(ctx, s.st, subjectID)
		if err != nil {
			return err
		}
		owner, table, id = a.OwnerNode, "dir_agreements", a.ID
	case "mechanism":
		m, err := s.mechanism(ctx, s.st, subjectID)
		if err != nil {
			return err
		}
		owner, table, id = m.OwnerNode, "dir_mechanisms", m.ID
	default:
		return errs.Newf(errs.Invalid, op, "subject kind %q must be agreement or mechanism", textutil.Ellipsis(subjectKind, 20))
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirEdit, owner, "directory/"+subjectKind+"/"+id); err != nil {
		return err
	}
	return s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := setStatusRow(ctx, tx, table, id, status, note, s.clock.Now(), actorName(p)); err != nil {
			return dbErr(op, err)
		}
		return s.recordTx(ctx, tx, p, "directory.status.set", "directory/"+subjectKind+"/"+id, status+": "+strings.TrimSpace(note))
	})
}
