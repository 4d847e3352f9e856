package directory

import (
	"context"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Mechanism is a regional cooperation mechanism: an organisation, a
// convention secretariat, an initiative, a network or a joint centre.
type Mechanism struct {
	ID                 string   `json:"id"`
	Code               string   `json:"code" doc:"acronym, e.g. SELEC"`
	Name               string   `json:"name"`
	FormerNames        []string `json:"former_names"`
	Kind               string   `json:"kind"`
	Purpose            string   `json:"purpose"`
	Members            []string `json:"members" doc:"country codes of members or participants"`
	Founded            int      `json:"founded,omitempty"`
	Themes             []string `json:"themes"`
	SecretariatCity    string   `json:"secretariat_city,omitempty"`
	SecretariatCountry string   `json:"secretariat_country,omitempty"`
	Website            string   `json:"website,omitempty"`
	ParentID           string   `json:"parent_id,omitempty"`
	Status             string   `json:"status" doc:"implementation status: active, limited, dormant, declaratory, unknown"`
	StatusNote         string   `json:"status_note,omitempty"`
	Meta
}

// MechanismInput creates or changes a mechanism.
type MechanismInput struct {
	Code               string   `json:"code" maxLength:"30"`
	Name               string   `json:"name" maxLength:"300"`
	FormerNames        []string `json:"former_names,omitempty" maxItems:"10"`
	Kind               string   `json:"kind" maxLength:"30" doc:"organisation, convention, initiative, network, centre, facility"`
	Purpose            string   `json:"purpose,omitempty" maxLength:"3000"`
	Members            []string `json:"members,omitempty" maxItems:"60"`
	Founded            int      `json:"founded,omitempty" minimum:"0" maximum:"2100"`
	Themes             []string `json:"themes,omitempty" maxItems:"20"`
	SecretariatCity    string   `json:"secretariat_city,omitempty" maxLength:"100"`
	SecretariatCountry string   `json:"secretariat_country,omitempty" maxLength:"10"`
	Website            string   `json:"website,omitempty" maxLength:"300"`
	ParentID           string   `json:"parent_id,omitempty" maxLength:"64"`
	Status             string   `json:"status,omitempty" maxLength:"20"`
	StatusNote         string   `json:"status_note,omitempty" maxLength:"1000"`
	Sources            []string `json:"sources,omitempty" maxItems:"20"`
	Version            int64    `json:"version,omitempty"`
}

func (s *Service) cleanMechanism(ctx context.Context, q store.Querier, op string, in MechanismInput) (MechanismInput, error) {
	var err error
	in.Code = strings.TrimSpace(in.Code)
	if in.Code == "" || len(in.Code) > 30 || strings.ContainsAny(in.Code, " /\\") {
		return in, errs.New(errs.Invalid, op, "code is required: the mechanism's acronym without spaces (e.g. SELEC), at most 30 characters")
	}
	if in.Name, err = text(op, "name", in.Name, 300, true); err != nil {
		return in, err
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"purpose", &in.Purpose, 3000}, {"secretariat city", &in.SecretariatCity, 100}, {"website", &in.Website, 300}, {"status note", &in.StatusNote, 1000}} {
		if *f.v, err = text(op, f.name, *f.v, f.max, false); err != nil {
			return in, err
		}
	}
	if k, ok := resolveCode(MechanismKinds, in.Kind); ok {
		in.Kind = k
	} else {
		return in, errs.Newf(errs.Invalid, op, "mechanism kind %q is not known; use one of %s", textutil.Ellipsis(in.Kind, 30), slugs(MechanismKinds))
	}
	if in.Status == "" {
		in.Status = "unknown"
	}
	if !validCode(Statuses, in.Status) {
		return in, errs.Newf(errs.Invalid, op, "status %q is not known; use one of %s", textutil.Ellipsis(in.Status, 30), slugs(Statuses))
	}
	in.Themes = cleanList(in.Themes)
	for i, t := range in.Themes {
		slug, ok := resolveCode(Themes, t)
		if !ok {
			return in, errs.Newf(errs.Invalid, op, "theme %q is not known; use one of %s", textutil.Ellipsis(t, 40), slugs(Themes))
		}
		in.Themes[i] = slug
	}
	in.Themes = cleanList(in.Themes)
	if in.Founded != 0 && (in.Founded < 1900 || in.Founded > s.clock.Now().Year()) {
		return in, errs.Newf(errs.Invalid, op, "founded year %d is not plausible", in.Founded)
	}
	if in.FormerNames, err = cleanSources(op, in.FormerNames); err != nil {
		return in, err
	}
	if in.Sources, err = cleanSources(op, in.Sources); err != nil {
		return in, err
	}
	if in.Members, err = s.checkCountries(ctx, q, op, "members", in.Members); err != nil {
		return in, err
	}
	if in.SecretariatCountry != "" {
		cs, err := s.checkCountries(ctx, q, op, "secretariat country", []string{in.SecretariatCountry})
		if err != nil {
			return in, err
		}
		in.SecretariatCountry = cs[0]
	}
	in.ParentID = strings.TrimSpace(in.ParentID)
	if in.ParentID != "" {
		if _, err := s.mechanism(ctx, q, in.ParentID); errs.Is(err, errs.NotFound) {
			return in, errs.New(errs.Invalid, op, "the parent mechanism does not exist")
		} else if err != nil {
			return in, err
		}
	}
	return in, nil
}

func mechanismSearch(in MechanismInput) string {
	themes := make([]string, len(in.Themes))
	for i, t := range in.Themes {
		themes[i] = Label(Themes, t)
	}
	return searchText(append(append([]string{in.Code, in.Name, in.Purpose, in.SecretariatCity, in.SecretariatCountry, Label(MechanismKinds, in.Kind)}, in.FormerNames...), themes...)...)
}

// CreateMechanism registers a mechanism owned by this node.
func (s *Service) CreateMechanism(ctx context.Context, p *auth.Principal, in MechanismInput) (Mechanism, error) {
	const op = "directory.CreateMechanism"
	if err := auth.Authorize(p, auth.ActDirEdit); err != nil {
		return Mechanism{}, err
	}
	id := store.NewID()
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanMechanism(ctx, tx, op, in); err != nil {
			return err
		}
		if err := s.insertMechanism(ctx, tx, id, s.node, in, "", actorName(p)); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.mechanism.create", "directory/mechanism/"+id, in.Code)
	})
	if err != nil {
		return Mechanism{}, err
	}
	return s.mechanism(ctx, s.st, id)
}

// UpdateMechanism changes a mechanism this node owns.
func (s *Service) UpdateMechanism(ctx context.Context, p *auth.Principal, id string, in MechanismInput) (Mechanism, error) {
	const op = "directory.UpdateMechanism"
	cur, err := s.mechanism(ctx, s.st, id)
	if err != nil {
		return Mechanism{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirEdit, cur.OwnerNode, "directory/mechanism/"+id); err != nil {
		return Mechanism{}, err
	}
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if in, err = s.cleanMechanism(ctx, tx, op, in); err != nil {
			return err
		}
		if in.ParentID == id {
			return errs.New(errs.Invalid, op, "a mechanism cannot be its own parent")
		}
		res, err := updateMechanismRow(ctx, tx, id, in, s.clock.Now(), actorName(p))
		if store.IsUniqueViolation(err) {
			return errs.Newf(errs.Conflict, op, "a mechanism with code %q already exists", in.Code)
		}
		if err != nil {
			return dbErr(op, err)
		}
		if err := versionConflict(op, res); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.mechanism.update", "directory/mechanism/"+id, in.Code+" status="+in.Status)
	})
	if err != nil {
		return Mechanism{}, err
	}
	return s.mechanism(ctx, s.st, id)
}

// Mechanism returns one mechanism by ID or code.
func (s *Service) Mechanism(ctx context.Context, p *auth.Principal, id string) (Mechanism, error) {
	m, err := s.mechanism(ctx, s.st, id)
	if err != nil {
		return m, err
	}
	return m, s.record(ctx, p, "directory.mechanism.view", "directory/mechanism/"+m.ID, m.Code)
}

// Mechanisms lists mechanisms, optionally those with a theme or member.
func (s *Service) Mechanisms(ctx context.Context, p *auth.Principal, theme, member string) ([]Mechanism, error) {
	out, err := s.mechanisms(ctx)
	if err != nil {
		return nil, err
	}
	if theme != "" {
		t, ok := resolveCode(Themes, theme)
		if !ok {
			return nil, errs.Newf(errs.Invalid, "directory.Mechanisms", "theme %q is not known; use one of %s", textutil.Ellipsis(theme, 40), slugs(Themes))
		}
		out = filter(out, func(m Mechanism) bool { return slices.Contains(m.Themes, t) })
	}
	if member = strings.ToUpper(strings.TrimSpace(member)); member != "" {
		out = filter(out, func(m Mechanism) bool { return slices.Contains(m.Members, member) })
	}
	return out, s.record(ctx, p, "directory.mechanism.list", "directory/mechanisms", "theme="+theme+" member="+member)
}

func filter[T any](in []T, keep func(T) bool) []T {
	out := in[:0:0]
	for _, v := range in {
		if keep(v) {
			out = append(out, v)
		}
	}
	return out
}
