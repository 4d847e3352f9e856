package directory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// WorkSource is implemented by modules that assign work to a contact point
// (exchange messages, MLA requests, JIT tasks). On handover the directory
// asks each source to move open items from the old holder to the new one,
// so nothing is left with a person who has gone.
type WorkSource interface {
	// OpenItems counts the items currently assigned to the contact point.
	OpenItems(ctx context.Context, contactPointID string) (int, error)
	// Reassign moves open items to the new holder and returns how many moved.
	Reassign(ctx context.Context, contactPointID, fromHolder, toHolder string) (int, error)
}

// RegisterWorkSource adds a module's open items to the handover workflow.
func (s *Service) RegisterWorkSource(name string, w WorkSource) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.work[name] = w
}

// Handover states.
const (
	HandoverScheduled = "scheduled"
	HandoverDone      = "done"
)

// Handover records who takes over a contact point from when.
type Handover struct {
	ID             string    `json:"id"`
	ContactPointID string    `json:"contact_point_id"`
	From           string    `json:"from_holder"`
	To             Person    `json:"to_holder"`
	ToDeputy       Person    `json:"to_deputy"`
	EffectiveFrom  Day       `json:"effective_from"`
	Reason         string    `json:"reason,omitempty"`
	OpenItems      []string  `json:"open_items" doc:"items handed over by hand (files, pending requests); module items are reassigned automatically"`
	Reassigned     int       `json:"reassigned" doc:"open items moved to the new holder by other modules"`
	State          string    `json:"state"`
	CreatedBy      string    `json:"created_by"`
	CreatedAt      time.Time `json:"created_at"`
	AppliedAt      time.Time `json:"applied_at,omitzero"`
}

// HandoverInput starts a handover.
type HandoverInput struct {
	ToHolder      string   `json:"to_holder" maxLength:"200"`
	ToHolderTitle string   `json:"to_holder_title,omitempty" maxLength:"200"`
	ToDeputy      string   `json:"to_deputy,omitempty" maxLength:"200" doc:"new deputy; empty keeps the current deputy"`
	ToDeputyTitle string   `json:"to_deputy_title,omitempty" maxLength:"200"`
	EffectiveFrom string   `json:"effective_from,omitempty" maxLength:"10" doc:"YYYY-MM-DD; empty or today for an immediate handover"`
	Reason        string   `json:"reason,omitempty" maxLength:"500"`
	OpenItems     []string `json:"open_items,omitempty" maxItems:"100"`
}

// Handover hands a contact point to a new holder, now or from a date. An
// immediate handover changes the holder, confirms the contact point and
// reassigns open items; a dated one is shown as pending until its day.
func (s *Service) Handover(ctx context.Context, p *auth.Principal, contactID string, in HandoverInput) (Handover, error) {
	const op = "directory.Handover"
	cur, err := s.contact(ctx, s.st, contactID)
	if err != nil {
		return Handover{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirHandover, cur.OwnerNode, "directory/contact/"+contactID); err != nil {
		return Handover{}, err
	}
	if in.ToHolder, err = text(op, "new holder", in.ToHolder, 200, false); err != nil {
		return Handover{}, err
	}
	if in.ToHolder == "" {
		return Handover{}, errs.New(errs.Invalid, op, "name the person who takes over; a contact point cannot be left without a holder")
	}
	if fold(in.ToHolder) == fold(cur.Holder.Name) {
		return Handover{}, errs.Newf(errs.Invalid, op, "%s already holds this contact point; use Confirm to record that it is still right", cur.Holder.Name)
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"new holder title", &in.ToHolderTitle, 200}, {"new deputy", &in.ToDeputy, 200}, {"new deputy title", &in.ToDeputyTitle, 200}, {"reason", &in.Reason, 500}} {
		if *f.v, err = text(op, f.name, *f.v, f.max, false); err != nil {
			return Handover{}, err
		}
	}
	if in.ToDeputy != "" && fold(in.ToDeputy) == fold(in.ToHolder) {
		return Handover{}, errs.New(errs.Invalid, op, "the deputy must be a different person from the new holder")
	}
	eff, err := parseDay(op, "effective from", in.EffectiveFrom)
	if err != nil {
		return Handover{}, err
	}
	today := s.today()
	if eff == "" {
		eff = today
	}
	if eff < today {
		return Handover{}, errs.Newf(errs.Invalid, op, "a handover cannot start in the past (%s); use today's date for an immediate handover", eff)
	}
	items := cleanList(in.OpenItems)
	for _, it := range items {
		if len(it) > 500 {
			return Handover{}, errs.New(errs.Invalid, op, "an open item is too long (at most 500 characters)")
		}
	}
	if cur.Pending != nil {
		return Handover{}, errs.Newf(errs.Conflict, op, "a handover to %s from %s is already scheduled; a new handover can be made once it has taken effect", cur.Pending.To.Name, cur.Pending.EffectiveFrom)
	}
	h := Handover{ID: store.NewID(), ContactPointID: contactID, From: cur.Holder.Name, To: Person{in.ToHolder, in.ToHolderTitle}, ToDeputy: Person{in.ToDeputy, in.ToDeputyTitle},
		EffectiveFrom: eff, Reason: in.Reason, OpenItems: items, State: HandoverScheduled, CreatedBy: actorName(p), CreatedAt: s.clock.Now()}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := insertHandover(ctx, tx, h, cur.OwnerNode); err != nil {
			return dbErr(op, err)
		}
		return s.recordTx(ctx, tx, p, "directory.contact.handover", "directory/contact/"+contactID,
			fmt.Sprintf("from=%s to=%s effective=%s open_items=%d", h.From, h.To.Name, eff, len(items)))
	})
	if err != nil {
		return Handover{}, err
	}
	if eff <= today {
		if err := s.applyHandover(ctx, p, h); err != nil {
			return Handover{}, err
		}
	}
	return s.handover(ctx, h.ID)
}

// Handovers lists the handover history of a contact point, newest first.
func (s *Service) Handovers(ctx context.Context, p *auth.Principal, contactID string) ([]Handover, error) {
	const op = "directory.Handovers"
	out, err := handoversOf(ctx, s.st, contactID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	return out, s.record(ctx, p, "directory.contact.handovers", "directory/contact/"+contactID, "")
}

// applyHandover makes a handover effective: new holder (and deputy), the
// contact point counts as confirmed, open items follow the role.
func (s *Service) applyHandover(ctx context.Context, p *auth.Principal, h Handover) error {
	const op = "directory.applyHandover"
	s.mu.RLock()
	sources := make(map[string]WorkSource, len(s.work))
	for k, v := range s.work {
		sources[k] = v
	}
	s.mu.RUnlock()
	moved := 0
	var failed []string
	for name, w := range sources {
		n, err := w.Reassign(ctx, h.ContactPointID, h.From, h.To.Name)
		if err != nil {
			// The handover still happens; the failure is recorded so the
			// open items can be moved by hand rather than silently lost.
			s.logger.Warn("handover: reassigning open items failed", "source", name, "contact_point", h.ContactPointID, "err", err)
			failed = append(failed, name)
			continue
		}
		moved += n
	}
	detail := fmt.Sprintf("from=%s to=%s reassigned=%d", h.From, h.To.Name, moved)
	if len(failed) > 0 {
		detail += " reassign_failed=" + strings.Join(failed, ",")
	}
	now := s.clock.Now()
	by := actorName(p)
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		marked, err := markHandoverDone(ctx, tx, h.ID, moved, now)
		if err != nil {
			return err
		}
		if !marked {
			return nil // applied concurrently, and audited then
		}
		cur, err := s.contact(ctx, tx, h.ContactPointID)
		if err != nil {
			return err
		}
		deputy, deputyTitle := cur.Deputy.Name, cur.Deputy.Title
		if h.ToDeputy.Name != "" {
			deputy, deputyTitle = h.ToDeputy.Name, h.ToDeputy.Title
		}
		if fold(deputy) == fold(h.To.Name) {
			// The deputy took over; the deputy post is now vacant.
			deputy, deputyTitle = "", ""
		}
		in := ContactPointInput{Country: cur.Country, AgencyID: cur.AgencyID, MechanismID: cur.MechanismID, Role: cur.Role, Title: cur.Title,
			HolderName: h.To.Name, HolderTitle: h.To.Title, DeputyName: deputy, DeputyTitle: deputyTitle}
		if err := setContactHolder(ctx, tx, h, deputy, deputyTitle, s.contactSearch(ctx, tx, in), now, by); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.contact.handover.apply", "directory/contact/"+h.ContactPointID, detail)
	})
	if err != nil {
		return dbErr(op, err)
	}
	return nil
}

// applyDueHandovers makes scheduled handovers whose day has come effective,
// so reads never show a holder who has already left.
func (s *Service) applyDueHandovers(ctx context.Context) error {
	due, err := dueHandovers(ctx, s.st, s.today())
	if err != nil {
		return err
	}
	for _, h := range due {
		if err := s.applyHandover(ctx, nil, h); err != nil {
			return err
		}
	}
	return nil
}

// OpenItemCount reports how many items other modules have assigned to a
// contact point, for the handover page.
func (s *Service) OpenItemCount(ctx context.Context, contactID string) (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if len(s.work) == 0 {
		return 0, false
	}
	total := 0
	for _, w := range s.work {
		if n, err := w.OpenItems(ctx, contactID); err == nil {
			total += n
		}
	}
	return total, true
}
