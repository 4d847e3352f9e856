package directory

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Channel is one way to reach a contact point.
type Channel struct {
	Kind  string `json:"kind" doc:"phone, secure (secure message) or email"`
	Value string `json:"value" maxLength:"200"`
}

// Person holds a role at a contact point.
type Person struct {
	Name  string `json:"name"`
	Title string `json:"title,omitempty"`
}

// ContactPoint is a role-based point of contact: who answers for a role in
// a country (or mechanism) today.
type ContactPoint struct {
	ID          string    `json:"id"`
	Country     string    `json:"country"`
	AgencyID    string    `json:"agency_id,omitempty"`
	AgencyName  string    `json:"agency_name,omitempty"`
	MechanismID string    `json:"mechanism_id,omitempty"`
	Role        string    `json:"role"`
	RoleLabel   string    `json:"role_label"`
	Title       string    `json:"title"`
	Channels    []Channel `json:"channels"`
	Languages   []string  `json:"languages"`
	AlwaysOn    bool      `json:"always_on" doc:"staffed 24/7"`
	Hours       string    `json:"hours,omitempty" doc:"office hours when not 24/7, e.g. Mon-Fri 08:00-16:00"`
	TimeZone    string    `json:"time_zone,omitempty"`
	Holder      Person    `json:"holder"`
	HolderSince Day       `json:"holder_since,omitempty"`
	Deputy      Person    `json:"deputy"`
	Notes       string    `json:"notes,omitempty"`
	ConfirmedAt time.Time `json:"confirmed_at"`
	ConfirmedBy string    `json:"confirmed_by,omitempty"`
	Stale       bool      `json:"stale" doc:"not confirmed for 90 days: check before relying on it"`
	// Availability is set by Lookup: always (24/7), open or closed now by
	// its office hours in its time zone, or unknown.
	Availability string `json:"availability,omitempty" enum:"always,open,closed,unknown,"`
	// Pending is a scheduled handover that has not taken effect yet.
	Pending *Handover `json:"pending_handover,omitempty"`
	Meta
}

// ContactPointInput creates or changes a contact point.
type ContactPointInput struct {
	Country     string    `json:"country" maxLength:"10"`
	AgencyID    string    `json:"agency_id,omitempty" maxLength:"64"`
	MechanismID string    `json:"mechanism_id,omitempty" maxLength:"64"`
	Role        string    `json:"role" maxLength:"80" doc:"ncu, desk_24_7, prosecutorial_focal_point, mla_central_authority, aro, fiu, jit, gbv, thb, cybercrime_24_7, firearms, secretariat"`
	Title       string    `json:"title,omitempty" maxLength:"200" doc:"defaults to the role label"`
	Channels    []Channel `json:"channels,omitempty" maxItems:"10"`
	Languages   []string  `json:"languages,omitempty" maxItems:"10"`
	AlwaysOn    bool      `json:"always_on,omitempty"`
	Hours       string    `json:"hours,omitempty" maxLength:"200"`
	TimeZone    string    `json:"time_zone,omitempty" maxLength:"60"`
	HolderName  string    `json:"holder_name,omitempty" maxLength:"200"`
	HolderTitle string    `json:"holder_title,omitempty" maxLength:"200"`
	HolderSince string    `json:"holder_since,omitempty" maxLength:"10"`
	DeputyName  string    `json:"deputy_name,omitempty" maxLength:"200"`
	DeputyTitle string    `json:"deputy_title,omitempty" maxLength:"200"`
	Notes       string    `json:"notes,omitempty" maxLength:"2000"`
	Sources     []string  `json:"sources,omitempty" maxItems:"20"`
	Version     int64     `json:"version,omitempty"`
}

func (s *Service) cleanContact(ctx context.Context, q store.Querier, op string, in ContactPointInput) (ContactPointInput, error) {
	var err error
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if r, ok := resolveCode(ContactRoles, in.Role); ok {
		in.Role = r
	} else if strings.TrimSpace(in.Role) == "" {
		return in, errs.Newf(errs.Invalid, op, "role is required; use one of %s", slugs(ContactRoles))
	} else {
		return in, errs.Newf(errs.Invalid, op, "role %q is not known; use one of %s", textutil.Ellipsis(in.Role, 60), slugs(ContactRoles))
	}
	if in.HolderName, err = text(op, "holder", in.HolderName, 200, false); err != nil {
		return in, err
	}
	if in.HolderName == "" {
		return in, errs.New(errs.Invalid, op, "a contact point needs a current holder: name the person who answers for this role today")
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"title", &in.Title, 200}, {"holder title", &in.HolderTitle, 200}, {"deputy", &in.DeputyName, 200}, {"deputy title", &in.DeputyTitle, 200},
		{"hours", &in.Hours, 200}, {"time zone", &in.TimeZone, 60}, {"notes", &in.Notes, 2000}} {
		if *f.v, err = text(op, f.name, *f.v, f.max, false); err != nil {
			return in, err
		}
	}
	if in.Title == "" {
		in.Title = Label(ContactRoles, in.Role)
	}
	if in.DeputyName != "" && fold(in.DeputyName) == fold(in.HolderName) {
		return in, errs.New(errs.Invalid, op, "the deputy must be a different person from the holder")
	}
	if in.TimeZone != "" {
		if _, err := time.LoadLocation(in.TimeZone); err != nil {
			return in, errs.Newf(errs.Invalid, op, "time zone %q is not known; use a name such as Europe/Belgrade", textutil.Ellipsis(in.TimeZone, 60))
		}
	}
	if !in.AlwaysOn && in.Hours == "" {
		return in, errs.New(errs.Invalid, op, "give office hours (e.g. Mon-Fri 08:00-16:00) or mark the contact point as staffed 24/7")
	}
	if d, err := parseDay(op, "holder since", in.HolderSince); err != nil {
		return in, err
	} else {
		in.HolderSince = string(d)
	}
	channels := []Channel{}
	for _, ch := range in.Channels {
		ch.Value = strings.TrimSpace(ch.Value)
		if ch.Value == "" {
			continue
		}
		k, ok := resolveCode(ChannelKinds, ch.Kind)
		if !ok {
			return in, errs.Newf(errs.Invalid, op, "channel kind %q is not known; use phone, secure or email", textutil.Ellipsis(ch.Kind, 30))
		}
		ch.Kind = k
		if len(ch.Value) > 200 {
			return in, errs.New(errs.Invalid, op, "a channel value is too long (at most 200 characters)")
		}
		if k == "email" && !strings.Contains(ch.Value, "@") {
			return in, errs.Newf(errs.Invalid, op, "e-mail channel %q is not an e-mail address", textutil.Ellipsis(ch.Value, 60))
		}
		channels = append(channels, ch)
	}
	if len(channels) == 0 {
		return in, errs.New(errs.Invalid, op, "give at least one channel (phone, secure message or e-mail)")
	}
	in.Channels = channels
	if in.Languages, err = cleanLanguages(op, in.Languages); err != nil {
		return in, err
	}
	if in.Sources, err = cleanSources(op, in.Sources); err != nil {
		return in, err
	}
	if cs, err := s.checkCountries(ctx, q, op, "country", []string{in.Country}); err != nil {
		return in, err
	} else if len(cs) == 0 {
		return in, errs.New(errs.Invalid, op, "country is required")
	}
	in.AgencyID, in.MechanismID = strings.TrimSpace(in.AgencyID), strings.TrimSpace(in.MechanismID)
	if in.AgencyID != "" {
		a, err := s.agency(ctx, q, in.AgencyID)
		if errs.Is(err, errs.NotFound) {
			return in, errs.New(errs.Invalid, op, "the agency of the contact point does not exist")
		} else if err != nil {
			return in, err
		}
		if a.Country != in.Country {
			return in, errs.Newf(errs.Invalid, op, "the agency %s is in %s, not %s", a.Name, a.Country, in.Country)
		}
	}
	if in.MechanismID != "" {
		if _, err := s.mechanism(ctx, q, in.MechanismID); errs.Is(err, errs.NotFound) {
			return in, errs.New(errs.Invalid, op, "the mechanism of the contact point does not exist")
		} else if err != nil {
			return in, err
		}
	}
	return in, nil
}

func (s *Service) contactSearch(ctx context.Context, q store.Querier, in ContactPointInput) string {
	var agency string
	if in.AgencyID != "" {
		if a, err := s.agency(ctx, q, in.AgencyID); err == nil {
			agency = a.Name + " " + a.LocalName + " " + a.Acronym
		}
	}
	role := Label(ContactRoles, in.Role)
	for _, c := range ContactRoles {
		if c.Slug == in.Role {
			role += " " + strings.Join(c.Aliases, " ")
		}
	}
	return searchText(in.Title, role, in.HolderName, in.HolderTitle, in.DeputyName, in.DeputyTitle, agency, in.Country, s.countryWords(ctx, q, in.Country))
}

// CreateContactPoint adds a contact point for this node's country. Regional
// nodes add contact points of the mechanisms they own.
func (s *Service) CreateContactPoint(ctx context.Context, p *auth.Principal, in ContactPointInput) (ContactPoint, error) {
	const op = "directory.CreateContactPoint"
	if err := auth.Authorize(p, auth.ActDirEdit); err != nil {
		return ContactPoint{}, err
	}
	var id string
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanContact(ctx, tx, op, in); err != nil {
			return err
		}
		if err := checkHours(op, in); err != nil {
			return err
		}
		if err := s.checkContactOwnership(ctx, tx, op, in); err != nil {
			return err
		}
		id = store.NewID()
		if err := s.insertContact(ctx, tx, id, s.node, in, "", actorName(p)); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.contact.create", "directory/contact/"+id, in.Country+" "+in.Role+" holder="+in.HolderName)
	})
	if err != nil {
		return ContactPoint{}, err
	}
	return s.contact(ctx, s.st, id)
}

// checkContactOwnership: a country's node adds its contact points; the
// owner of a mechanism adds that mechanism's contact points.
func (s *Service) checkContactOwnership(ctx context.Context, q store.Querier, op string, in ContactPointInput) error {
	if in.MechanismID != "" {
		if m, err := s.mechanism(ctx, q, in.MechanismID); err == nil && m.OwnerNode == s.node {
			return nil
		}
	}
	return s.checkCountryOwned(ctx, q, op, in.Country)
}

// UpdateContactPoint changes a contact point this node owns. Changing the
// holder this way is allowed for corrections; a real change of person
// should go through Handover so open items follow.
func (s *Service) UpdateContactPoint(ctx context.Context, p *auth.Principal, id string, in ContactPointInput) (ContactPoint, error) {
	const op = "directory.UpdateContactPoint"
	cur, err := s.contact(ctx, s.st, id)
	if err != nil {
		return ContactPoint{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirEdit, cur.OwnerNode, "directory/contact/"+id); err != nil {
		return ContactPoint{}, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanContact(ctx, tx, op, in); err != nil {
			return err
		}
		if err := checkHours(op, in); err != nil {
			return err
		}
		if in.Country != cur.Country {
			if err := s.checkContactOwnership(ctx, tx, op, in); err != nil {
				return err
			}
		}
		res, err := updateContactRow(ctx, tx, id, in, s.contactSearch(ctx, tx, in), s.clock.Now(), actorName(p))
		if err != nil {
			return dbErr(op, err)
		}
		if err := versionConflict(op, res); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.contact.update", "directory/contact/"+id, in.Country+" "+in.Role+" holder="+in.HolderName)
	})
	if err != nil {
		return ContactPoint{}, err
	}
	return s.contact(ctx, s.st, id)
}

// ConfirmContactPoint records that the contact point was checked and is
// still right, which clears the stale flag for another 90 days.
func (s *Service) ConfirmContactPoint(ctx context.Context, p *auth.Principal, id string) (ContactPoint, error) {
	const op = "directory.ConfirmContactPoint"
	cur, err := s.contact(ctx, s.st, id)
	if err != nil {
		return ContactPoint{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirConfirm, cur.OwnerNode, "directory/contact/"+id); err != nil {
		return ContactPoint{}, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		if err := confirmContactRow(ctx, tx, id, s.clock.Now(), actorName(p)); err != nil {
			return dbErr(op, err)
		}
		return s.recordTx(ctx, tx, p, "directory.contact.confirm", "directory/contact/"+id, "holder="+cur.Holder.Name)
	})
	if err != nil {
		return ContactPoint{}, err
	}
	return s.contact(ctx, s.st, id)
}

// ContactPoint returns one contact point with any pending handover.
func (s *Service) ContactPoint(ctx context.Context, p *auth.Principal, id string) (ContactPoint, error) {
	if err := s.applyDueHandovers(ctx); err != nil {
		return ContactPoint{}, err
	}
	c, err := s.contact(ctx, s.st, id)
	if err != nil {
		return c, err
	}
	return c, s.record(ctx, p, "directory.contact.view", "directory/contact/"+id, "")
}

// ContactFilter narrows a listing of contact points.
type ContactFilter struct {
	Country     string
	Role        string
	AgencyID    string
	MechanismID string
	StaleOnly   bool
}

// ContactPoints lists contact points.
func (s *Service) ContactPoints(ctx context.Context, p *auth.Principal, f ContactFilter) ([]ContactPoint, error) {
	if err := s.applyDueHandovers(ctx); err != nil {
		return nil, err
	}
	out, err := s.contacts(ctx, f)
	if err != nil {
		return nil, err
	}
	return out, s.record(ctx, p, "directory.contact.list", "directory/contacts", fmt.Sprintf("country=%s role=%s stale=%v", f.Country, f.Role, f.StaleOnly))
}

// checkHours refuses office hours that "who now" could not read. Records
// replicated from peers are not checked: their hours show as unknown.
func checkHours(op string, in ContactPointInput) error {
	if in.AlwaysOn {
		return nil
	}
	if _, err := ParseHours(in.Hours); err != nil {
		return errs.Newf(errs.Invalid, op, "the office hours cannot be read (%v); write them as e.g. Mon-Fri 08:00-16:00 or Mon-Thu 07:30-15:30; Fri 07:30-14:00", err)
	}
	return nil
}

// LookupResult answers "who do I contact in country X for Y now?".
type LookupResult struct {
	Country  Country        `json:"country"`
	Role     string         `json:"role"`
	Label    string         `json:"role_label"`
	Contacts []ContactPoint `json:"contacts"`
	// Fallback is true when nobody holds the role and the national contact
	// unit is offered instead.
	Fallback bool   `json:"fallback"`
	Message  string `json:"message,omitempty"`
	// ClosedNow is true when every contact point found is outside its
	// office hours; Desk then lists the country's 24/7 contact points.
	ClosedNow bool           `json:"closed_now"`
	Desk      []ContactPoint `json:"desk,omitempty" doc:"24/7 contact points of the country, offered when the ones found are closed"`
}

// Lookup finds the current contact points for a role in a country. The
// country may be a code or a name in any script; the role a slug, label or
// alias ("asset recovery office", "SIRENE", "seepag"). Fresh, 24/7 and
// national-level contact points come first.
func (s *Service) Lookup(ctx context.Context, p *auth.Principal, country, role string) (LookupResult, error) {
	const op = "directory.Lookup"
	c, err := s.ResolveCountry(ctx, country)
	if err != nil {
		return LookupResult{}, err
	}
	r, ok := resolveCode(ContactRoles, role)
	if !ok {
		return LookupResult{}, errs.Newf(errs.Invalid, op, "role %q is not known; use one of %s", textutil.Ellipsis(role, 60), slugs(ContactRoles))
	}
	if err := s.applyDueHandovers(ctx); err != nil {
		return LookupResult{}, err
	}
	res := LookupResult{Country: c, Role: r, Label: Label(ContactRoles, r)}
	if res.Contacts, err = s.contacts(ctx, ContactFilter{Country: c.Code, Role: r}); err != nil {
		return LookupResult{}, err
	}
	if len(res.Contacts) == 0 && r != "ncu" {
		if res.Contacts, err = s.contacts(ctx, ContactFilter{Country: c.Code, Role: "ncu"}); err != nil {
			return LookupResult{}, err
		}
		if len(res.Contacts) > 0 {
			res.Fallback = true
			res.Message = fmt.Sprintf("No %s is registered for %s; the national contact unit routes the request.", strings.ToLower(res.Label), c.Name)
		}
	}
	if len(res.Contacts) == 0 {
		res.Message = fmt.Sprintf("No %s and no national contact unit is registered for %s yet.", strings.ToLower(res.Label), c.Name)
	}
	now := s.clock.Now()
	reachable := func(cp ContactPoint) bool {
		return cp.Availability == AvailableAlways || cp.Availability == AvailableOpen
	}
	closed := len(res.Contacts) > 0
	for i := range res.Contacts {
		res.Contacts[i].Availability = res.Contacts[i].AvailabilityAt(now, c.TimeZone)
		if res.Contacts[i].Availability != AvailableClosed {
			closed = false
		}
	}
	sort.SliceStable(res.Contacts, func(i, j int) bool {
		a, b := res.Contacts[i], res.Contacts[j]
		if a.Stale != b.Stale {
			return !a.Stale
		}
		if (a.Country == c.Code) != (b.Country == c.Code) {
			return a.Country == c.Code
		}
		if reachable(a) != reachable(b) {
			return reachable(a)
		}
		return a.AlwaysOn && !b.AlwaysOn
	})
	if closed {
		// Office closed: offer whoever answers around the clock, the
		// national contact unit first.
		res.ClosedNow = true
		all, err := s.contacts(ctx, ContactFilter{Country: c.Code})
		if err != nil {
			return LookupResult{}, err
		}
		for _, cp := range all {
			if cp.AlwaysOn {
				cp.Availability = AvailableAlways
				res.Desk = append(res.Desk, cp)
			}
		}
		sort.SliceStable(res.Desk, func(i, j int) bool { return res.Desk[i].Role == "ncu" && res.Desk[j].Role != "ncu" })
	}
	return res, s.record(ctx, p, "directory.lookup", "directory/lookup/"+c.Code+"/"+r, fmt.Sprintf("found=%d fallback=%v", len(res.Contacts), res.Fallback))
}
