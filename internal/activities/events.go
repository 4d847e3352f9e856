package activities

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Participation counts the participants of one agency at an event.
type Participation struct {
	Country string `json:"country" maxLength:"10"`
	Agency  string `json:"agency" maxLength:"200"`
	Count   int    `json:"count" minimum:"1"`
}

// Event is a joint training, study visit, meeting, conference or exercise.
type Event struct {
	ID           string          `json:"id"`
	OwnerNode    string          `json:"owner_node"`
	Version      int64           `json:"version"`
	Title        string          `json:"title"`
	Kind         string          `json:"kind"`
	ActivityID   string          `json:"activity_id,omitempty"`
	StartDate    string          `json:"start_date"`
	EndDate      string          `json:"end_date"`
	Country      string          `json:"country"`
	City         string          `json:"city"`
	Themes       []string        `json:"themes"`
	Description  string          `json:"description"`
	Participants []Participation `json:"participants"`
	Materials    []Document      `json:"materials"`
	ContactName  string          `json:"contact_name"`
	ContactEmail string          `json:"contact_email"`
	CreatedAt    time.Time       `json:"created_at"`
	UpdatedAt    time.Time       `json:"updated_at"`
	UpdatedBy    string          `json:"updated_by"`
}

// Total is the number of participants.
func (e Event) Total() int {
	n := 0
	for _, p := range e.Participants {
		n += p.Count
	}
	return n
}

// EventInput records an event.
type EventInput struct {
	Title        string          `json:"title" maxLength:"300"`
	Kind         string          `json:"kind" maxLength:"40" doc:"training, study_visit, meeting, conference, exercise"`
	ActivityID   string          `json:"activity_id,omitempty" maxLength:"64"`
	StartDate    string          `json:"start_date" maxLength:"10"`
	EndDate      string          `json:"end_date,omitempty" maxLength:"10"`
	Country      string          `json:"country" maxLength:"10"`
	City         string          `json:"city,omitempty" maxLength:"100"`
	Themes       []string        `json:"themes,omitempty" maxItems:"12"`
	Description  string          `json:"description,omitempty" maxLength:"5000"`
	Participants []Participation `json:"participants,omitempty" maxItems:"100"`
	Materials    []Document      `json:"materials,omitempty" maxItems:"30"`
	ContactName  string          `json:"contact_name,omitempty" maxLength:"200"`
	ContactEmail string          `json:"contact_email,omitempty" maxLength:"200"`
}

// CreateEvent records an event and publishes it to every peer.
func (s *Service) CreateEvent(ctx context.Context, p *auth.Principal, in EventInput) (Event, error) {
	const op = "activities.CreateEvent"
	if err := s.authorize(ctx, p, auth.ActEventEdit, "events"); err != nil {
		return Event{}, err
	}
	var err error
	if in.Title, err = text(op, "title", in.Title, 300, true); err != nil {
		return Event{}, err
	}
	k, ok := resolve(EventKinds, in.Kind)
	if !ok {
		return Event{}, errs.Newf(errs.Invalid, op, "kind %q is not known; use one of %s", textutil.Ellipsis(in.Kind, 40), slugList(EventKinds))
	}
	if in.StartDate, err = parseDay(op, "start_date", in.StartDate, true); err != nil {
		return Event{}, err
	}
	if in.EndDate, err = parseDay(op, "end_date", in.EndDate, false); err != nil {
		return Event{}, err
	}
	if in.EndDate == "" {
		in.EndDate = in.StartDate
	}
	if in.EndDate < in.StartDate {
		return Event{}, errs.New(errs.Invalid, op, "end_date is before start_date")
	}
	names, err := countryNames(ctx, s.d.Store)
	if err != nil {
		return Event{}, dbErr(op, err)
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if _, ok := names[in.Country]; !ok {
		return Event{}, errs.Newf(errs.Invalid, op, "country: unknown country code %q", textutil.Ellipsis(in.Country, 20))
	}
	var themes []string
	for _, t := range in.Themes {
		slug, ok := resolveTheme(t)
		if !ok {
			return Event{}, errs.Newf(errs.Invalid, op, "themes: %q is not in the theme list", textutil.Ellipsis(t, 60))
		}
		if !slices.Contains(themes, slug) {
			themes = append(themes, slug)
		}
	}
	for i, pt := range in.Participants {
		pt.Country = strings.ToUpper(strings.TrimSpace(pt.Country))
		if _, ok := names[pt.Country]; !ok {
			return Event{}, errs.Newf(errs.Invalid, op, "participants: unknown country code %q", textutil.Ellipsis(pt.Country, 20))
		}
		if pt.Agency, err = text(op, "participants", pt.Agency, 200, true); err != nil {
			return Event{}, err
		}
		if pt.Count < 1 {
			return Event{}, errs.New(errs.Invalid, op, "participants: each agency needs a count of at least 1")
		}
		in.Participants[i] = pt
	}
	if in.Description, err = text(op, "description", in.Description, 5000, false); err != nil {
		return Event{}, err
	}
	now := s.d.Clock.Now()
	by, _ := actorOf(p)
	e := Event{ID: store.NewID(), OwnerNode: s.d.Node, Version: 1, Title: in.Title, Kind: k, ActivityID: strings.TrimSpace(in.ActivityID), StartDate: in.StartDate,
		EndDate: in.EndDate, Country: in.Country, City: strings.TrimSpace(in.City), Themes: themes, Description: in.Description,
		Participants: in.Participants, Materials: in.Materials, ContactName: strings.TrimSpace(in.ContactName), ContactEmail: strings.TrimSpace(in.ContactEmail),
		CreatedAt: now, UpdatedAt: now, UpdatedBy: by}
	if e.Themes == nil {
		e.Themes = []string{}
	}
	if e.Participants == nil {
		e.Participants = []Participation{}
	}
	if e.Materials == nil {
		e.Materials = []Document{}
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := writeEvent(ctx, tx, e, true); err != nil {
			return err
		}
		if err := s.replicate(ctx, tx, p, Publication{Kind: "event", Event: &e}); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.event.create", "event/"+e.ID, e.Title)
	})
	if err != nil {
		return Event{}, dbErr(op, err)
	}
	s.notify(true)
	return e, nil
}

// Events lists events, newest first; q searches across languages.
func (s *Service) Events(ctx context.Context, p *auth.Principal, q string) ([]Event, error) {
	if err := s.authorize(ctx, p, auth.ActActivityView, "events"); err != nil {
		return nil, err
	}
	out, err := s.events(ctx, q)
	return out, dbErr("activities.Events", err)
}

// Practice is an entry of the best-practice library.
type Practice struct {
	ID        string    `json:"id"`
	OwnerNode string    `json:"owner_node"`
	Version   int64     `json:"version"`
	Title     string    `json:"title"`
	Summary   string    `json:"summary"`
	Language  string    `json:"language" doc:"language of the entry, e.g. sq, sr, mk, en"`
	Themes    []string  `json:"themes"`
	Link      string    `json:"link,omitempty"`
	EventID   string    `json:"event_id,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	UpdatedBy string    `json:"updated_by"`
}

// PracticeInput adds an entry to the library.
type PracticeInput struct {
	Title    string   `json:"title" maxLength:"300"`
	Summary  string   `json:"summary" maxLength:"10000"`
	Language string   `json:"language,omitempty" maxLength:"10"`
	Themes   []string `json:"themes,omitempty" maxItems:"12"`
	Link     string   `json:"link,omitempty" maxLength:"500"`
	EventID  string   `json:"event_id,omitempty" maxLength:"64"`
}

// CreatePractice adds a best practice and publishes it to every peer.
func (s *Service) CreatePractice(ctx context.Context, p *auth.Principal, in PracticeInput) (Practice, error) {
	const op = "activities.CreatePractice"
	if err := s.authorize(ctx, p, auth.ActEventEdit, "practices"); err != nil {
		return Practice{}, err
	}
	var err error
	if in.Title, err = text(op, "title", in.Title, 300, true); err != nil {
		return Practice{}, err
	}
	if in.Summary, err = text(op, "summary", in.Summary, 10000, true); err != nil {
		return Practice{}, err
	}
	if in.Language = strings.TrimSpace(in.Language); in.Language == "" {
		in.Language = "en"
	}
	var themes []string
	for _, t := range in.Themes {
		slug, ok := resolveTheme(t)
		if !ok {
			return Practice{}, errs.Newf(errs.Invalid, op, "themes: %q is not in the theme list", textutil.Ellipsis(t, 60))
		}
		themes = append(themes, slug)
	}
	if themes == nil {
		themes = []string{}
	}
	now := s.d.Clock.Now()
	by, _ := actorOf(p)
	x := Practice{ID: store.NewID(), OwnerNode: s.d.Node, Version: 1, Title: in.Title, Summary: in.Summary, Language: in.Language, Themes: themes,
		Link: strings.TrimSpace(in.Link), EventID: strings.TrimSpace(in.EventID), CreatedAt: now, UpdatedAt: now, UpdatedBy: by}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := writePractice(ctx, tx, x, true); err != nil {
			return err
		}
		if err := s.replicate(ctx, tx, p, Publication{Kind: "practice", Practice: &x}); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "activities.practice.create", "practice/"+x.ID, x.Title)
	})
	if err != nil {
		return Practice{}, dbErr(op, err)
	}
	s.notify(true)
	return x, nil
}

// Practices searches the best-practice library in any of the region's
// languages: words are folded and mapped to shared concepts, so a search
// for "trgovina ljudima" finds an English entry on human trafficking.
func (s *Service) Practices(ctx context.Context, p *auth.Principal, query string) ([]Practice, error) {
	if err := s.authorize(ctx, p, auth.ActActivityView, "practices"); err != nil {
		return nil, err
	}
	out, err := practices(ctx, s.d.Store, query)
	return out, dbErr("activities.Practices", err)
}
