package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
)

func (s *Server) registerDirectoryUI() {
	s.handle("GET", "/directory", auth.ActDirView, s.dirHome)
	s.handle("GET", "/directory/search", auth.ActDirSearch, s.dirSearch)
	s.handle("GET", "/directory/export", auth.ActDirExport, s.dirExport)
	s.handle("GET", "/directory/matrix", auth.ActDirView, s.dirMatrix)
	s.handle("GET", "/directory/countries/{id}", auth.ActDirView, s.dirCountry)
	s.handle("GET", "/directory/agencies", auth.ActDirView, s.dirAgencies)
	s.handle("POST", "/directory/agencies", auth.ActDirEdit, s.dirAgencyCreate)
	s.handle("GET", "/directory/agencies/{id}", auth.ActDirView, s.dirAgency)
	s.handle("GET", "/directory/contacts", auth.ActDirView, s.dirContacts)
	s.handle("POST", "/directory/contacts", auth.ActDirEdit, s.dirContactCreate)
	s.handle("GET", "/directory/contacts/{id}", auth.ActDirView, s.dirContact)
	s.handle("POST", "/directory/contacts/{id}/confirm", auth.ActDirConfirm, s.dirContactConfirm)
	s.handle("POST", "/directory/contacts/{id}/handover", auth.ActDirHandover, s.dirContactHandover)
	s.handle("GET", "/directory/mechanisms", auth.ActDirView, s.dirMechanisms)
	s.handle("GET", "/directory/mechanisms/{id}", auth.ActDirView, s.dirMechanism)
	s.handle("GET", "/directory/agreements", auth.ActDirView, s.dirAgreements)
	s.handle("POST", "/directory/agreements", auth.ActDirEdit, s.dirAgreementCreate)
	s.handle("GET", "/directory/agreements/{id}", auth.ActDirView, s.dirAgreement)
	for _, kind := range []string{"agreement", "mechanism"} {
		s.handle("POST", "/directory/"+kind+"s/{id}/activity", auth.ActDirActivity, s.dirActivity(kind))
		s.handle("POST", "/directory/"+kind+"s/{id}/status", auth.ActDirEdit, s.dirStatus(kind))
	}
}

// dirLabels are the code lists as slug → label maps for templates.
func dirLabels(tr func(list string, codes []directory.Code) []directory.Code) map[string]map[string]string {
	m := map[string]map[string]string{}
	for name, codes := range map[string][]directory.Code{"agencyType": directory.AgencyTypes, "role": directory.ContactRoles, "channel": directory.ChannelKinds,
		"theme": directory.Themes, "mechKind": directory.MechanismKinds, "agrType": directory.AgreementTypes, "status": directory.Statuses,
		"activity": directory.ActivityKinds, "countryKind": directory.CountryKinds} {
		m[name] = map[string]string{}
		for _, c := range tr(name, codes) {
			m[name][c.Slug] = c.Label
		}
	}
	return m
}

// dirPage renders a directory page; every page gets the code lists, the
// node ID and whether the user may edit.
func (s *Server) dirPage(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data map[string]any, flash, errMsg string) {
	p := PrincipalFrom(r.Context())
	tr := func(list string, codes []directory.Code) []directory.Code { return s.vocab(r, list, codes) }
	data["L"] = dirLabels(tr)
	data["Node"] = s.d.Directory.Node()
	data["CanEdit"] = auth.Can(p, auth.ActDirEdit)
	data["Vocab"] = map[string][]directory.Code{"roles": tr("role", directory.ContactRoles), "agencyTypes": tr("agencyType", directory.AgencyTypes), "themes": tr("theme", directory.Themes),
		"agrTypes": tr("agrType", directory.AgreementTypes), "statuses": tr("status", directory.Statuses), "activities": tr("activity", directory.ActivityKinds)}
	s.render(w, r, status, name, titleKey, "nav.directory", data, flash, errMsg)
}

// flashFor is the confirmation shown after a successful directory form.
func (s *Server) flashFor(r *http.Request) string {
	if k := r.URL.Query().Get("ok"); k != "" && len(k) < 40 {
		return s.d.Catalog.T(s.lang(r), "dir.ok."+k)
	}
	return ""
}

func dirSplitLines(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' })
}

func (s *Server) dirHome(w http.ResponseWriter, r *http.Request) {
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	q := r.URL.Query()
	data := map[string]any{"Country": q.Get("country"), "Role": q.Get("role")}
	cs, err := d.Countries(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data["Countries"] = cs
	status, errMsg := http.StatusOK, ""
	if q.Get("country") != "" || q.Get("role") != "" {
		res, err := d.Lookup(ctx, p, q.Get("country"), q.Get("role"))
		if err != nil {
			status, errMsg = s.formStatus(err, r.URL.Path)
		} else {
			data["Lookup"] = res
		}
	}
	stale, err := d.ContactPoints(ctx, p, directory.ContactFilter{StaleOnly: true})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data["Stale"] = stale
	s.dirPage(w, r, status, "directory", "dir.title", data, "", errMsg)
}

func (s *Server) dirSearch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("q")
	data := map[string]any{"Q": q}
	status, errMsg := http.StatusOK, ""
	if strings.TrimSpace(q) != "" {
		hits, err := s.d.Directory.Search(r.Context(), PrincipalFrom(r.Context()), q, 100)
		if err != nil {
			status, errMsg = s.formStatus(err, r.URL.Path)
		}
		data["Hits"] = hits
	}
	s.dirPage(w, r, status, "directory_search", "dir.search.title", data, "", errMsg)
}

func (s *Server) dirExport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	body, mt, name, err := s.d.Directory.Export(r.Context(), PrincipalFrom(r.Context()), q.Get("format"), q.Get("kind"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(body)
}

func (s *Server) dirMatrix(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	extra := splitList(q.Get("extra"))
	m, err := s.d.Directory.Matrix(r.Context(), PrincipalFrom(r.Context()), q.Get("type"), extra)
	data := map[string]any{"Type": q.Get("type"), "Extra": q.Get("extra")}
	if err != nil {
		status, msg := s.formStatus(err, r.URL.Path)
		if status >= 500 {
			s.uiError(w, r, err)
			return
		}
		s.dirPage(w, r, status, "directory_matrix", "dir.matrix.title", data, "", msg)
		return
	}
	data["M"] = m
	s.dirPage(w, r, http.StatusOK, "directory_matrix", "dir.matrix.title", data, "", "")
}

func (s *Server) dirCountry(w http.ResponseWriter, r *http.Request) {
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	c, err := d.Country(ctx, p, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := map[string]any{"C": c}
	if data["Agencies"], err = d.Agencies(ctx, p, directory.AgencyFilter{Country: c.Code}); err == nil {
		if data["Contacts"], err = d.ContactPoints(ctx, p, directory.ContactFilter{Country: c.Code}); err == nil {
			if data["Agreements"], err = d.Agreements(ctx, p, c.Code, ""); err == nil {
				data["Mechanisms"], err = d.Mechanisms(ctx, p, "", c.Code)
			}
		}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, http.StatusOK, "directory_country", "dir.country.title", data, "", "")
}

func (s *Server) renderAgencies(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errMsg string) {
	if f := s.failedForm(r); form == nil && f != nil {
		form = f.Map()
	}
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	q := r.URL.Query()
	f := directory.AgencyFilter{Country: q.Get("country"), Type: q.Get("type")}
	as, err := d.Agencies(ctx, p, f)
	if err != nil && errs.Is(err, errs.Invalid) {
		status, errMsg = s.formStatus(err, r.URL.Path)
		as, err = d.Agencies(ctx, p, directory.AgencyFilter{})
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	cs, err := d.Countries(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, status, "directory_agencies", "dir.agencies.title", map[string]any{"Agencies": as, "Countries": cs, "Filter": f, "Form": form}, s.flashFor(r), errMsg)
}

func (s *Server) dirAgencies(w http.ResponseWriter, r *http.Request) {
	s.renderAgencies(w, r, http.StatusOK, nil, "")
}

func (s *Server) dirAgencyCreate(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"country", "code", "name", "local_name", "acronym", "type", "jurisdiction", "languages", "website", "sources"} {
		form[k] = r.PostFormValue(k)
	}
	a, err := s.d.Directory.CreateAgency(r.Context(), PrincipalFrom(r.Context()), directory.AgencyInput{Country: form["country"], Code: form["code"], Name: form["name"],
		LocalName: form["local_name"], Acronym: form["acronym"], Type: form["type"], Jurisdiction: form["jurisdiction"], Languages: splitList(form["languages"]),
		Website: form["website"], Sources: dirSplitLines(form["sources"])})
	if err != nil {
		s.failForm(w, r, "/directory/agencies", "agency", err)
		return
	}
	http.Redirect(w, r, "/directory/agencies/"+a.ID+"?ok=created", http.StatusSeeOther)
}

func (s *Server) dirAgency(w http.ResponseWriter, r *http.Request) {
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	a, err := d.Agency(ctx, p, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := map[string]any{"A": a}
	if a.ParentID != "" {
		if parent, err := d.Agency(ctx, p, a.ParentID); err == nil {
			data["Parent"] = parent
		}
	}
	if data["Contacts"], err = d.ContactPoints(ctx, p, directory.ContactFilter{AgencyID: a.ID}); err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, http.StatusOK, "directory_agency", "dir.agency.title", data, s.flashFor(r), "")
}

func (s *Server) renderContacts(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errMsg string) {
	if f := s.failedForm(r); form == nil && f != nil {
		form = f.Map()
	}
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	q := r.URL.Query()
	f := directory.ContactFilter{Country: q.Get("country"), Role: q.Get("role"), StaleOnly: q.Get("stale") != ""}
	cps, err := d.ContactPoints(ctx, p, f)
	if err != nil && errs.Is(err, errs.Invalid) {
		status, errMsg = s.formStatus(err, r.URL.Path)
		cps, err = d.ContactPoints(ctx, p, directory.ContactFilter{})
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := map[string]any{"Contacts": cps, "Filter": f, "Form": form}
	if data["Countries"], err = d.Countries(ctx, p); err == nil {
		if data["Agencies"], err = d.Agencies(ctx, p, directory.AgencyFilter{}); err == nil {
			data["Mechanisms"], err = d.Mechanisms(ctx, p, "", "")
		}
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, status, "directory_contacts", "dir.contacts.title", data, s.flashFor(r), errMsg)
}

func (s *Server) dirContacts(w http.ResponseWriter, r *http.Request) {
	s.renderContacts(w, r, http.StatusOK, nil, "")
}

func (s *Server) dirContactCreate(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"country", "agency_id", "mechanism_id", "role", "title", "holder_name", "holder_title", "holder_since", "deputy_name", "deputy_title",
		"phone", "secure", "email", "languages", "always_on", "hours", "time_zone", "notes", "sources"} {
		form[k] = r.PostFormValue(k)
	}
	in := directory.ContactPointInput{Country: form["country"], AgencyID: form["agency_id"], MechanismID: form["mechanism_id"], Role: form["role"], Title: form["title"],
		HolderName: form["holder_name"], HolderTitle: form["holder_title"], HolderSince: form["holder_since"], DeputyName: form["deputy_name"], DeputyTitle: form["deputy_title"],
		Languages: splitList(form["languages"]), AlwaysOn: form["always_on"] != "", Hours: form["hours"], TimeZone: form["time_zone"], Notes: form["notes"], Sources: dirSplitLines(form["sources"])}
	for _, k := range []string{"phone", "secure", "email"} {
		for _, v := range splitList(form[k]) {
			in.Channels = append(in.Channels, directory.Channel{Kind: k, Value: v})
		}
	}
	c, err := s.d.Directory.CreateContactPoint(r.Context(), PrincipalFrom(r.Context()), in)
	if err != nil {
		s.failForm(w, r, "/directory/contacts", "contact", err)
		return
	}
	http.Redirect(w, r, "/directory/contacts/"+c.ID+"?ok=created", http.StatusSeeOther)
}

func (s *Server) renderContact(w http.ResponseWriter, r *http.Request, status int, form map[string]string, flash, errMsg string) {
	if f := s.failedForm(r); form == nil && f != nil {
		form = f.Map()
	}
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	c, err := d.ContactPoint(ctx, p, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	hs, err := d.Handovers(ctx, p, c.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := map[string]any{"C": c, "Handovers": hs, "Form": form, "Editable": c.Editable(d.Node()) && auth.Can(p, auth.ActDirHandover),
		"Today": s.d.Clock.Now().Format("2006-01-02")}
	if n, ok := d.OpenItemCount(ctx, c.ID); ok {
		data["OpenItems"], data["HasWork"] = n, true
	}
	if c.MechanismID != "" {
		if m, err := d.Mechanism(ctx, p, c.MechanismID); err == nil {
			data["Mechanism"] = m
		}
	}
	s.dirPage(w, r, status, "directory_contact", "dir.contact.title", data, flash, errMsg)
}

func (s *Server) dirContact(w http.ResponseWriter, r *http.Request) {
	s.renderContact(w, r, http.StatusOK, nil, s.flashFor(r), "")
}

func (s *Server) dirContactConfirm(w http.ResponseWriter, r *http.Request) {
	if _, err := s.d.Directory.ConfirmContactPoint(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id")); err != nil {
		if errs.Is(err, errs.NotFound) {
			s.uiError(w, r, err)
			return
		}
		s.failForm(w, r, "/directory/contacts/"+url.PathEscape(r.PathValue("id")), "confirm", err)
		return
	}
	http.Redirect(w, r, "/directory/contacts/"+url.PathEscape(r.PathValue("id"))+"?ok=confirmed", http.StatusSeeOther)
}

func (s *Server) dirContactHandover(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"to_holder", "to_holder_title", "to_deputy", "to_deputy_title", "effective_from", "reason", "open_items"} {
		form[k] = r.PostFormValue(k)
	}
	h, err := s.d.Directory.Handover(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), directory.HandoverInput{ToHolder: form["to_holder"], ToHolderTitle: form["to_holder_title"],
		ToDeputy: form["to_deputy"], ToDeputyTitle: form["to_deputy_title"], EffectiveFrom: form["effective_from"], Reason: form["reason"], OpenItems: dirSplitLines(form["open_items"])})
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			s.uiError(w, r, err)
			return
		}
		s.failForm(w, r, "/directory/contacts/"+url.PathEscape(r.PathValue("id")), "handover", err)
		return
	}
	ok := "handover"
	if h.State == directory.HandoverScheduled {
		ok = "scheduled"
	}
	http.Redirect(w, r, "/directory/contacts/"+url.PathEscape(r.PathValue("id"))+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) dirMechanisms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ms, err := s.d.Directory.Mechanisms(r.Context(), PrincipalFrom(r.Context()), q.Get("theme"), q.Get("member"))
	status, msg := http.StatusOK, ""
	if err != nil && errs.Is(err, errs.Invalid) {
		status, msg = s.formStatus(err, r.URL.Path)
		ms, err = s.d.Directory.Mechanisms(r.Context(), PrincipalFrom(r.Context()), "", "")
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, status, "directory_mechanisms", "dir.mechanisms.title", map[string]any{"Mechanisms": ms, "Theme": q.Get("theme"), "Member": q.Get("member")}, "", msg)
}

func (s *Server) renderSubject(w http.ResponseWriter, r *http.Request, kind string, status int, flash, errMsg string) {
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	id := r.PathValue("id")
	data := map[string]any{"Kind": kind, "Today": s.d.Clock.Now().Format("2006-01-02")}
	var owner, realID string
	switch kind {
	case "mechanism":
		m, err := d.Mechanism(ctx, p, id)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		data["M"], owner, realID = m, m.OwnerNode, m.ID
		all, err := d.Mechanisms(ctx, p, "", "")
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		var children []directory.Mechanism
		for _, x := range all {
			if x.ParentID == m.ID {
				children = append(children, x)
			}
			if x.ID == m.ParentID {
				data["Parent"] = x
			}
		}
		data["Children"] = children
		if data["Contacts"], err = d.ContactPoints(ctx, p, directory.ContactFilter{MechanismID: m.ID}); err != nil {
			s.uiError(w, r, err)
			return
		}
		ags, err := d.Agreements(ctx, p, "", "")
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		var linked []directory.Agreement
		for _, a := range ags {
			if a.MechanismID == m.ID {
				linked = append(linked, a)
			}
		}
		data["Agreements"] = linked
	default:
		a, err := d.Agreement(ctx, p, id)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		data["A"], owner, realID = a, a.OwnerNode, a.ID
		s.agreementTermsData(r, a, data)
		if a.MechanismID != "" {
			if m, err := d.Mechanism(ctx, p, a.MechanismID); err == nil {
				data["Mechanism"] = m
			}
		}
	}
	im, err := d.Implementation(ctx, p, kind, realID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data["Impl"] = im
	data["Editable"] = owner == d.Node() && auth.Can(p, auth.ActDirEdit)
	data["CanRecord"] = auth.Can(p, auth.ActDirActivity)
	s.dirPage(w, r, status, "directory_"+kind, "dir."+kind+".title", data, flash, errMsg)
}

func (s *Server) dirMechanism(w http.ResponseWriter, r *http.Request) {
	s.renderSubject(w, r, "mechanism", http.StatusOK, s.flashFor(r), "")
}

func (s *Server) dirAgreement(w http.ResponseWriter, r *http.Request) {
	s.renderSubject(w, r, "agreement", http.StatusOK, s.flashFor(r), "")
}

func (s *Server) dirActivity(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		count, err := parseWhole(r.PostFormValue("count"), "Count")
		if err == nil {
			_, err = s.d.Directory.AddActivity(r.Context(), PrincipalFrom(r.Context()), kind, r.PathValue("id"), directory.ActivityInput{Kind: r.PostFormValue("kind"),
				Count: int(count), OccurredOn: r.PostFormValue("occurred_on"), Note: r.PostFormValue("note")})
		}
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				s.uiError(w, r, err)
				return
			}
			s.failForm(w, r, "/directory/"+kind+"s/"+url.PathEscape(r.PathValue("id")), "activity", err)
			return
		}
		http.Redirect(w, r, "/directory/"+kind+"s/"+url.PathEscape(r.PathValue("id"))+"?ok=activity", http.StatusSeeOther)
	}
}

func (s *Server) dirStatus(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := s.d.Directory.SetStatus(r.Context(), PrincipalFrom(r.Context()), kind, r.PathValue("id"), r.PostFormValue("status"), r.PostFormValue("note"))
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				s.uiError(w, r, err)
				return
			}
			s.failForm(w, r, "/directory/"+kind+"s/"+url.PathEscape(r.PathValue("id")), "status", err)
			return
		}
		http.Redirect(w, r, "/directory/"+kind+"s/"+url.PathEscape(r.PathValue("id"))+"?ok=status", http.StatusSeeOther)
	}
}

func (s *Server) renderAgreements(w http.ResponseWriter, r *http.Request, status int, form map[string]string, errMsg string) {
	if f := s.failedForm(r); form == nil && f != nil {
		form = f.Map()
	}
	ctx, p, d := r.Context(), PrincipalFrom(r.Context()), s.d.Directory
	q := r.URL.Query()
	as, err := d.Agreements(ctx, p, q.Get("country"), q.Get("type"))
	if err != nil && errs.Is(err, errs.Invalid) {
		status, errMsg = s.formStatus(err, r.URL.Path)
		as, err = d.Agreements(ctx, p, "", "")
	}
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.dirPage(w, r, status, "directory_agreements", "dir.agreements.title", map[string]any{"Agreements": as, "Country": q.Get("country"), "Type": q.Get("type"), "Form": form}, s.flashFor(r), errMsg)
}

func (s *Server) dirAgreements(w http.ResponseWriter, r *http.Request) {
	s.renderAgreements(w, r, http.StatusOK, nil, "")
}

func (s *Server) dirAgreementCreate(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"title", "short_name", "parties", "multilateral", "signed", "ratified", "in_force", "legal_basis", "scope", "sources"} {
		form[k] = r.PostFormValue(k)
	}
	in := directory.AgreementInput{Title: form["title"], ShortName: form["short_name"], Types: r.PostForm["types"], Multilateral: form["multilateral"] != "",
		Signed: form["signed"], Ratified: form["ratified"], InForce: form["in_force"], LegalBasis: form["legal_basis"], Scope: form["scope"], Sources: dirSplitLines(form["sources"])}
	for _, c := range splitList(form["parties"]) {
		in.Parties = append(in.Parties, directory.Party{Country: strings.TrimSpace(c)})
	}
	a, err := s.d.Directory.CreateAgreement(r.Context(), PrincipalFrom(r.Context()), in)
	if err != nil {
		s.failForm(w, r, "/directory/agreements", "agreement", err)
		return
	}
	http.Redirect(w, r, "/directory/agreements/"+a.ID+"?ok=created", http.StatusSeeOther)
}
