package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
)

// registerExchange adds the exchange module's UI pages and API operations.
func (s *Server) registerExchange() {
	if s.d.Exchange == nil {
		return
	}
	x := s.d.Exchange
	tags := []string{"Exchange"}
	p := func(ctx context.Context) *auth.Principal { return PrincipalFrom(ctx) }

	register(s, huma.Operation{OperationID: "list-threads", Method: http.MethodGet, Path: "/api/v1/exchange/threads",
		Summary: "Search the case threads of your agency and those shared with it", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActExchangeList, func(ctx context.Context, in *threadListInput) (*Body[[]exchange.Thread], error) {
			f, err := in.filter()
			if err != nil {
				return nil, err
			}
			ts, err := x.List(ctx, p(ctx), f)
			return &Body[[]exchange.Thread]{ts}, err
		})
	register(s, huma.Operation{OperationID: "create-thread", Method: http.MethodPost, Path: "/api/v1/exchange/threads",
		Summary: "Open a thread with a request; cross-border recipients get it after NCU approval", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		auth.ActExchangeCompose, func(ctx context.Context, in *Body[exchange.NewThread]) (*Body[exchange.Thread], error) {
			t, err := x.Compose(ctx, p(ctx), in.Body)
			return &Body[exchange.Thread]{t}, err
		})
	register(s, huma.Operation{OperationID: "get-thread", Method: http.MethodGet, Path: "/api/v1/exchange/threads/{id}",
		Summary: "A thread with its messages, markings and acknowledgements (marks received messages read)", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActExchangeRead, func(ctx context.Context, in *idInput) (*Body[exchange.Thread], error) {
			t, err := x.Thread(ctx, p(ctx), in.ID)
			return &Body[exchange.Thread]{t}, err
		})
	register(s, huma.Operation{OperationID: "reply-thread", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/messages",
		Summary: "Add an answer, follow-up, refusal or delay (with reason) to a thread", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge}},
		auth.ActExchangeReply, func(ctx context.Context, in *replyInput) (*Body[exchange.Message], error) {
			m, err := x.Reply(ctx, p(ctx), in.ID, in.Body)
			return &Body[exchange.Message]{m}, err
		})
	register(s, huma.Operation{OperationID: "forward-message", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/forward",
		Summary: "Forward a message to another country or body; refused without the provider's permission when its markings forbid onward transmission", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound}},
		auth.ActExchangeForward, func(ctx context.Context, in *forwardInput) (*Body[exchange.Message], error) {
			m, err := x.ForwardMessage(ctx, p(ctx), in.ID, in.Body)
			return &Body[exchange.Message]{m}, err
		})
	register(s, huma.Operation{OperationID: "share-thread", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/share",
		Summary: "Share a thread with another agency of this country", Tags: tags, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActExchangeShare, func(ctx context.Context, in *exShareInput) (*struct{}, error) {
			return &struct{}{}, x.Share(ctx, p(ctx), in.ID, in.Body.Agency)
		})
	register(s, huma.Operation{OperationID: "keep-thread", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/keep",
		Summary: "Record a reason to keep a thread at its retention review", Tags: tags, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActExchangeKeep, func(ctx context.Context, in *keepInput) (*Body[keepOutput], error) {
			at, err := x.KeepThread(ctx, p(ctx), in.ID, in.Body.Reason)
			return &Body[keepOutput]{keepOutput{ReviewAt: at}}, err
		})
	register(s, huma.Operation{OperationID: "get-attachment", Method: http.MethodGet, Path: "/api/v1/exchange/threads/{id}/attachments/{attachment}",
		Summary: "One attachment with its content (base64) and SHA-256", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActExchangeRead, func(ctx context.Context, in *attachmentInput) (*Body[exchange.MessageAttachment], error) {
			a, err := x.Attachment(ctx, p(ctx), in.ID, in.Attachment)
			return &Body[exchange.MessageAttachment]{a}, err
		})
	register(s, huma.Operation{OperationID: "import-entity", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/messages/{message}/entities/{index}/import",
		Summary: "Import a received entity into a local case, with its provenance", Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActExchangeImport, func(ctx context.Context, in *exImportInput) (*Body[exchange.EntityImport], error) {
			im, err := x.ImportEntity(ctx, p(ctx), in.ID, in.Message, in.Index, in.Body)
			return &Body[exchange.EntityImport]{im}, err
		})
	register(s, huma.Operation{OperationID: "set-thread-retention", Method: http.MethodPost, Path: "/api/v1/exchange/threads/{id}/retention",
		Summary: "Choose what happens to a thread at its review date without a reason to keep: delete or anonymise (empty: the node's setting)", Tags: tags,
		Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActExchangeKeep, func(ctx context.Context, in *retentionInput) (*Body[exchange.Thread], error) {
			t, err := x.SetRetentionAction(ctx, p(ctx), in.ID, in.Body.Action)
			return &Body[exchange.Thread]{t}, err
		})
	register(s, huma.Operation{OperationID: "list-imports", Method: http.MethodGet, Path: "/api/v1/exchange/threads/{id}/imports",
		Summary: "Entities imported from a thread into local cases", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActExchangeRead, func(ctx context.Context, in *idInput) (*Body[[]exchange.EntityImport], error) {
			im, err := x.Imports(ctx, p(ctx), in.ID)
			return &Body[[]exchange.EntityImport]{im}, err
		})
	register(s, huma.Operation{OperationID: "exchange-dashboard", Method: http.MethodGet, Path: "/api/v1/exchange/dashboard",
		Summary: "Open requests by counterpart country and age", Tags: tags},
		auth.ActExchangeDashboard, func(ctx context.Context, _ *emptyInput) (*Body[[]exchange.DashboardRow], error) {
			d, err := x.Dashboard(ctx, p(ctx))
			return &Body[[]exchange.DashboardRow]{d}, err
		})
	register(s, huma.Operation{OperationID: "list-notifications", Method: http.MethodGet, Path: "/api/v1/exchange/notifications",
		Summary: "Your in-app notifications (new messages, reminders, escalations, retention reviews)", Tags: tags},
		auth.ActExchangeNotifications, func(ctx context.Context, in *notificationsInput) (*Body[[]exchange.ExchangeNotification], error) {
			n, err := x.Notifications(ctx, p(ctx), in.Unread)
			return &Body[[]exchange.ExchangeNotification]{n}, err
		})
	register(s, huma.Operation{OperationID: "read-notifications", Method: http.MethodPost, Path: "/api/v1/exchange/notifications/read",
		Summary: "Mark your notifications read", Tags: tags, DefaultStatus: http.StatusNoContent},
		auth.ActExchangeNotifications, func(ctx context.Context, _ *emptyInput) (*struct{}, error) {
			return &struct{}{}, x.MarkNotificationsRead(ctx, p(ctx))
		})
	register(s, huma.Operation{OperationID: "exchange-routing", Method: http.MethodGet, Path: "/api/v1/exchange/routing",
		Summary: "Routing metadata of every thread of the node, without content (national contact unit)", Tags: tags},
		auth.ActExchangeRouting, func(ctx context.Context, _ *emptyInput) (*Body[[]exchange.RoutingInfo], error) {
			r, err := x.Routing(ctx, p(ctx))
			return &Body[[]exchange.RoutingInfo]{r}, err
		})

	s.handle("GET", "/exchange", auth.ActExchangeList, s.exchangeInbox)
	s.handle("GET", "/exchange/new", auth.ActExchangeCompose, s.exchangeNew)
	s.handle("POST", "/exchange", auth.ActExchangeCompose, s.exchangeCompose)
	s.handle("GET", "/exchange/notifications", auth.ActExchangeNotifications, s.exchangeNotifications)
	s.handle("POST", "/exchange/notifications/read", auth.ActExchangeNotifications, s.exchangeNotificationsRead)
	s.handle("GET", "/exchange/routing", auth.ActExchangeRouting, s.exchangeRouting)
	s.handle("GET", "/exchange/threads/{id}", auth.ActExchangeRead, s.exchangeThread)
	s.handle("POST", "/exchange/threads/{id}/reply", auth.ActExchangeReply, s.exchangeReply)
	s.handle("POST", "/exchange/threads/{id}/forward", auth.ActExchangeForward, s.exchangeForward)
	s.handle("POST", "/exchange/threads/{id}/share", auth.ActExchangeShare, s.exchangeShare)
	s.handle("POST", "/exchange/threads/{id}/keep", auth.ActExchangeKeep, s.exchangeKeep)
	s.handle("POST", "/exchange/threads/{id}/retention", auth.ActExchangeKeep, s.exchangeRetention)
	s.handle("POST", "/exchange/threads/{id}/import", auth.ActExchangeImport, s.exchangeImport)
	s.handle("GET", "/exchange/threads/{id}/attachments/{attachment}", auth.ActExchangeRead, s.exchangeAttachment)
}

type threadListInput struct {
	Query          string `query:"q" maxLength:"200" doc:"words to find (Cyrillic or Latin, with or without diacritics)"`
	Country        string `query:"country" maxLength:"32" doc:"participating node, e.g. me"`
	CrimeArea      string `query:"crime_area" maxLength:"100"`
	Status         string `query:"status" enum:"open,answered,refused,closed," doc:"thread status"`
	DeadlineBefore string `query:"deadline_before" maxLength:"40" doc:"open requests due before this time (RFC 3339)"`
	Overdue        bool   `query:"overdue" doc:"only open requests past their deadline"`
	Purpose        string `query:"purpose" maxLength:"200" doc:"why you search (recorded in the audit log)"`
	Limit          int    `query:"limit" minimum:"0" maximum:"500" doc:"default 100"`
}

func (in threadListInput) filter() (exchange.Filter, error) {
	f := exchange.Filter{Query: in.Query, Country: in.Country, CrimeArea: in.CrimeArea, Status: in.Status, Overdue: in.Overdue, Purpose: in.Purpose, Limit: in.Limit}
	if in.DeadlineBefore != "" {
		t, err := parseWhen(in.DeadlineBefore)
		if err != nil {
			return f, errs.New(errs.Invalid, "exchange.List", "deadline_before must be a date (YYYY-MM-DD) or an RFC 3339 time")
		}
		f.DeadlineBefore = t
	}
	return f, nil
}

func parseWhen(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errs.New(errs.Invalid, "web.parseWhen", "not a date")
}

type replyInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body exchange.Reply
}

type forwardInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body exchange.Forward
}

type exShareInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Agency string `json:"agency" minLength:"1" maxLength:"100" doc:"agency of this country"`
	}
}

type keepInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"why the thread must be kept past its review date"`
	}
}

type keepOutput struct {
	ReviewAt time.Time `json:"review_at" doc:"the review date at which the reason is applied"`
}

type attachmentInput struct {
	ID         string `path:"id" maxLength:"64"`
	Attachment string `path:"attachment" maxLength:"64"`
}

type exImportInput struct {
	ID      string `path:"id" maxLength:"64"`
	Message string `path:"message" maxLength:"64"`
	Index   int    `path:"index" minimum:"0" maximum:"1000"`
	Body    exchange.ImportInput
}

type retentionInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Action string `json:"action" enum:"delete,anonymise," doc:"delete, anonymise, or empty for the node's setting"`
	}
}

type notificationsInput struct {
	Unread bool `query:"unread" doc:"only unread notifications"`
}

// --- UI ---

var (
	classificationOptions = []string{"unclassified", "restricted", "confidential"}
	handlingOptions       = []string{"H0", "H1", "H2", "H3"}
	reliabilityOptions    = []string{"A", "B", "C", "X"}
	accuracyOptions       = []int{1, 2, 3, 4}
)

func (s *Server) exchangeFormData(r *http.Request) map[string]any {
	peers := []string{}
	if s.d.Federation != nil {
		if ps, err := s.d.Federation.Peers(r.Context()); err == nil {
			for _, p := range ps {
				peers = append(peers, p.ID)
			}
		}
	}
	return map[string]any{"Peers": peers, "Classifications": classificationOptions, "Handling": handlingOptions,
		"Reliabilities": reliabilityOptions, "Accuracies": accuracyOptions}
}

func (s *Server) exchangeInbox(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	in := threadListInput{Query: q.Get("q"), Country: q.Get("country"), CrimeArea: q.Get("crime_area"), Status: q.Get("status"),
		DeadlineBefore: q.Get("deadline_before"), Overdue: q.Get("overdue") != "", Purpose: q.Get("purpose")}
	data := map[string]any{"Q": in, "Statuses": []string{exchange.StatusOpen, exchange.StatusAnswered, exchange.StatusRefused, exchange.StatusClosed}}
	status, errMsg := http.StatusOK, ""
	f, err := in.filter()
	var ts []exchange.Thread
	if err == nil {
		ts, err = s.d.Exchange.List(ctx, PrincipalFrom(ctx), f)
	}
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			s.uiError(w, r, err)
			return
		}
		pr := problemFor(s.d.Logger, err, r.URL.Path)
		status, errMsg = pr.Status, pr.Detail
	}
	dash, err := s.d.Exchange.Dashboard(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	unread, _ := s.d.Exchange.Notifications(ctx, PrincipalFrom(ctx), true)
	data["Threads"], data["Dashboard"], data["Unread"] = ts, dash, len(unread)
	flash := ""
	if q.Get("ok") != "" {
		flash = s.d.Catalog.T(s.lang(r), "ex.ok."+q.Get("ok"))
	}
	s.render(w, r, status, "exchange", "ex.title", "nav.exchange", data, flash, errMsg)
}

func (s *Server) exchangeNew(w http.ResponseWriter, r *http.Request) {
	data := s.exchangeFormData(r)
	data["Form"] = map[string]string{"priority": "normal", "classification": "restricted", "reliability": "B", "accuracy": "2"}
	if f := s.failedForm(r); f.Is("compose") {
		data["Form"] = f.Map()
	}
	s.render(w, r, http.StatusOK, "exchange_compose", "ex.compose", "nav.exchange", data, "", "")
}

// formMarkings reads the markings fieldset of a form.
func formMarkings(r *http.Request) exchange.MessageMarkings {
	acc, _ := strconv.Atoi(r.PostFormValue("accuracy"))
	return exchange.MessageMarkings{Classification: r.PostFormValue("classification"), Handling: r.PostForm["handling"], HandlingNote: r.PostFormValue("handling_note"),
		Reliability: r.PostFormValue("reliability"), Accuracy: acc, OnwardAllowed: r.PostFormValue("onward") != ""}
}

// formUploads reads uploaded files (multipart forms only).
func formUploads(r *http.Request) ([]exchange.AttachmentUpload, error) {
	if r.MultipartForm == nil {
		return nil, nil
	}
	var out []exchange.AttachmentUpload
	for _, fh := range r.MultipartForm.File["attachments"] {
		f, err := fh.Open()
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "web.upload", "could not read the attachment", err)
		}
		b, err := io.ReadAll(io.LimitReader(f, 64<<20))
		f.Close()
		if err != nil {
			return nil, errs.Wrap(errs.Invalid, "web.upload", "could not read the attachment", err)
		}
		if len(b) > 0 || fh.Filename != "" {
			out = append(out, exchange.AttachmentUpload{Name: fh.Filename, Data: b})
		}
	}
	return out, nil
}

func formValues(r *http.Request, keys ...string) map[string]string {
	out := map[string]string{}
	for _, k := range keys {
		out[k] = r.PostFormValue(k)
	}
	return out
}

func (s *Server) exchangeCompose(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseMultipartForm(8 << 20)
	form := formValues(r, "subject", "crime_area", "priority", "database_info", "agencies", "case_refs", "body", "classification", "handling_note", "reliability", "accuracy", "onward", "entities")
	fail := func(err error) { s.failForm(w, r, "/exchange/new", "compose", err) }
	for _, check := range []error{needField(form["subject"], "subject", "form.err.subject"), needField(form["body"], "body", "form.err.body")} {
		if check != nil {
			fail(check)
			return
		}
	}
	if len(r.PostForm["parties"]) == 0 && len(splitList(form["agencies"])) == 0 {
		fail(&fieldError{Field: "parties", Key: "form.err.recipient"})
		return
	}
	ents, err := exchange.ParseEntityLines(form["entities"])
	if err != nil {
		fail(err)
		return
	}
	ups, err := formUploads(r)
	if err != nil {
		fail(err)
		return
	}
	t, err := s.d.Exchange.Compose(ctx, PrincipalFrom(ctx), exchange.NewThread{Subject: form["subject"], CrimeArea: form["crime_area"], Priority: form["priority"],
		DatabaseInfo: form["database_info"] != "", CaseRefs: splitList(form["case_refs"]), Parties: r.PostForm["parties"], Agencies: splitList(form["agencies"]),
		Body: form["body"], Markings: formMarkings(r), Entities: ents, Attachments: ups})
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/exchange/threads/"+url.PathEscape(t.ID)+"?ok=sent", http.StatusSeeOther)
}

func (s *Server) renderThread(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	t, err := s.d.Exchange.Thread(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	im, err := s.d.Exchange.Imports(ctx, PrincipalFrom(ctx), t.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data := s.exchangeFormData(r)
	data["Thread"], data["Imports"], data["Self"] = t, im, s.d.Node.ID
	data["ReplyKinds"] = []string{exchange.KindAnswer, exchange.KindFollowUp, exchange.KindRefusal, exchange.KindDelay}
	data["Form"] = map[string]string{"classification": "restricted", "reliability": "B", "accuracy": "2"}
	if f := s.failedForm(r); f.Is("reply") {
		data["Form"] = f.Map()
	}
	data["RetentionActions"] = []string{exchange.RetentionDelete, exchange.RetentionAnonymise}
	data["CaseRoles"] = []string{"suspect", "victim", "witness", "associate", "object"}
	// The local cases an entity can be imported into, offered by reference.
	refs := []string{}
	if s.d.Cases != nil && auth.Can(PrincipalFrom(ctx), auth.ActCasesEdit) && threadHasEntities(t) {
		if cs, err := s.d.Cases.Cases(ctx, PrincipalFrom(ctx), ""); err == nil {
			for _, c := range cs {
				refs = append(refs, c.Reference)
			}
		}
	}
	data["CaseRefs"] = refs
	s.render(w, r, status, "exchange_thread", "ex.thread", "nav.exchange", data, flash, errMsg)
}

func (s *Server) exchangeThread(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "ex.ok."+ok)
	}
	s.renderThread(w, r, http.StatusOK, flash, "")
}

// afterPost redirects back to the thread, with the failed form kept when
// err is set (form names the form of the thread page that was sent).
func (s *Server) afterPost(w http.ResponseWriter, r *http.Request, err error, ok string) {
	s.afterThreadForm(w, r, "", err, ok)
}

func (s *Server) afterThreadForm(w http.ResponseWriter, r *http.Request, form string, err error, ok string) {
	if err != nil {
		s.failForm(w, r, "/exchange/threads/"+url.PathEscape(r.PathValue("id")), form, err)
		return
	}
	http.Redirect(w, r, "/exchange/threads/"+url.PathEscape(r.PathValue("id"))+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) exchangeReply(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseMultipartForm(8 << 20)
	fail := func(err error) { s.afterThreadForm(w, r, "reply", err, "") }
	kind := r.PostFormValue("kind")
	if (kind == exchange.KindRefusal || kind == exchange.KindDelay) && strings.TrimSpace(r.PostFormValue("reason")) == "" {
		fail(&fieldError{Field: "reason", Key: "form.err.reason"})
		return
	}
	if kind != exchange.KindRefusal && kind != exchange.KindDelay {
		if err := needField(r.PostFormValue("body"), "body", "form.err.body"); err != nil {
			fail(err)
			return
		}
	}
	ents, err := exchange.ParseEntityLines(r.PostFormValue("entities"))
	if err != nil {
		fail(err)
		return
	}
	ups, err := formUploads(r)
	if err != nil {
		fail(err)
		return
	}
	in := exchange.Reply{Kind: r.PostFormValue("kind"), Body: r.PostFormValue("body"), Reason: r.PostFormValue("reason"), Markings: formMarkings(r), Entities: ents, Attachments: ups}
	if v := r.PostFormValue("new_deadline"); v != "" {
		if in.NewDeadline, err = parseWhen(v); err != nil {
			fail(&fieldError{Field: "new_deadline", Key: "form.err.deadline"})
			return
		}
	}
	_, err = s.d.Exchange.Reply(ctx, PrincipalFrom(ctx), r.PathValue("id"), in)
	s.afterThreadForm(w, r, "reply", err, "sent")
}

func (s *Server) exchangeForward(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, err := s.d.Exchange.ForwardMessage(ctx, PrincipalFrom(ctx), r.PathValue("id"), exchange.Forward{MessageID: r.PostFormValue("message"),
		To: r.PostFormValue("to"), Permission: r.PostFormValue("permission"), Note: r.PostFormValue("note")})
	s.afterThreadForm(w, r, "forward", err, "forwarded")
}

func (s *Server) exchangeShare(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	s.afterPost(w, r, s.d.Exchange.Share(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PostFormValue("agency")), "shared")
}

func (s *Server) exchangeKeep(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, err := s.d.Exchange.KeepThread(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PostFormValue("reason"))
	s.afterPost(w, r, err, "kept")
}

func (s *Server) exchangeImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	idx, err := strconv.Atoi(r.PostFormValue("index"))
	if err != nil {
		s.afterPost(w, r, errs.New(errs.Invalid, "exchange.ImportEntity", "choose an entity"), "")
		return
	}
	im, err := s.d.Exchange.ImportEntity(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PostFormValue("message"), idx,
		exchange.ImportInput{CaseRef: r.PostFormValue("case_ref"), Role: r.PostFormValue("role")})
	ok := "imported"
	if err == nil && im.AlreadyImported {
		ok = "already-imported"
	}
	s.afterPost(w, r, err, ok)
}

func (s *Server) exchangeRetention(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, err := s.d.Exchange.SetRetentionAction(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PostFormValue("action"))
	s.afterPost(w, r, err, "retention")
}

func (s *Server) exchangeAttachment(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.d.Exchange.Attachment(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PathValue("attachment"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	w.Header().Set("X-Content-SHA256", a.SHA256)
	_, _ = w.Write(a.Data)
}

func (s *Server) exchangeNotifications(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ns, err := s.d.Exchange.Notifications(ctx, PrincipalFrom(ctx), false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "exchange_notifications", "ex.notifications", "nav.exchange", map[string]any{"Notifications": ns}, "", "")
}

func (s *Server) exchangeNotificationsRead(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := s.d.Exchange.MarkNotificationsRead(ctx, PrincipalFrom(ctx)); err != nil {
		s.uiError(w, r, err)
		return
	}
	http.Redirect(w, r, "/exchange/notifications", http.StatusSeeOther)
}

func (s *Server) exchangeRouting(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ri, err := s.d.Exchange.Routing(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "exchange_routing", "ex.routing", "nav.exchange", map[string]any{"Threads": ri}, "", "")
}

func threadHasEntities(t exchange.Thread) bool {
	for _, m := range t.Messages {
		if len(m.Entities) > 0 {
			return true
		}
	}
	return false
}
