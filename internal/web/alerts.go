package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
)

type alertsListInput struct {
	Status string `query:"status" enum:"draft,active,hit,action_taken,action_not_possible,withdrawn,expired,deleted,"`
	Kind   string `query:"kind" enum:"arrest,missing,judicial,check,object,"`
	Origin string `query:"origin" maxLength:"32" doc:"local, foreign or a node ID"`
}

type alertDraftInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body alerts.AlertDraft
}

type alertCheckInput struct {
	Body struct {
		Query   string `json:"query" minLength:"1" maxLength:"200" doc:"name, date of birth, document or national number, plate, VIN or serial number, in one line"`
		Purpose string `json:"purpose,omitempty" maxLength:"500" doc:"why the check is made (audit log)"`
	}
}

type alertBatchInput struct {
	Body struct {
		Rows []struct {
			Ref         string `json:"ref,omitempty" maxLength:"100"`
			Query       string `json:"query" minLength:"1" maxLength:"200"`
			Sex         string `json:"sex,omitempty" maxLength:"20" doc:"as the travel document gives it (m/f, muški/ženski, mashkull/femër): tells namesakes apart"`
			Nationality string `json:"nationality,omitempty" maxLength:"60" doc:"ISO code or country name; compared when it is a known country"`
		} `json:"rows" minItems:"1" maxItems:"10000"`
		Purpose string `json:"purpose,omitempty" maxLength:"500"`
	}
}

type traceRequestInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body alerts.TraceInput
}

type traceChangeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body alerts.TraceChange
}

type alertReasonInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"2000"`
	}
}

type alertHiddenInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Hidden bool   `json:"hidden"`
		Reason string `json:"reason,omitempty" maxLength:"2000" doc:"required to hide"`
	}
}

type alertEndInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Status string `json:"status" enum:"withdrawn,deleted"`
		Reason string `json:"reason" minLength:"1" maxLength:"2000"`
	}
}

type alertFlagInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason,omitempty" maxLength:"2000" doc:"why the alert will not be executed on this territory"`
		Lift   bool   `json:"lift,omitempty" doc:"lift this country's flag"`
	}
}

type alertLiftInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Node string `json:"node" minLength:"2" maxLength:"32" doc:"the flagging country's node"`
		Note string `json:"note" minLength:"1" maxLength:"2000"`
	}
}

type alertDistributeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Recipients []alerts.RecipientInput `json:"recipients" minItems:"1" maxItems:"20"`
	}
}

type alertHitInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body alerts.HitInput
}

type alertAnswerInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body alerts.AnswerInput
}

// registerAlerts adds the alerts module's API operations and pages.
func (s *Server) registerAlerts() {
	if s.d.Alerts == nil {
		return
	}
	m := s.d.Alerts
	tags := []string{"Alerts"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}
	// The compose and edit forms and the API's create and change may carry
	// a photo: they take a larger body, declared where they are registered.
	photoLimit := max(s.d.MaxBodyBytes, photoBodyBytes)
	photoBody := maxBody(photoLimit)
	register(s, huma.Operation{OperationID: "check-alerts", Method: http.MethodPost, Path: "/api/v1/alerts/check",
		Summary: "Check a person or object against every alert in force on this node: HIT or NO HIT, action and warning markers first", Tags: tags,
		Errors: []int{http.StatusBadRequest}},
		auth.ActAlertsCheck, func(ctx context.Context, in *alertCheckInput) (*Body[alerts.CheckResult], error) {
			r, err := m.Check(ctx, p(ctx), in.Body.Query, in.Body.Purpose)
			return &Body[alerts.CheckResult]{r}, err
		})
	register(s, huma.Operation{OperationID: "check-alerts-batch", Method: http.MethodPost, Path: "/api/v1/alerts/check/batch",
		Summary: "Check a list of travellers or vehicles at once (e.g. a bus passenger list); one audit entry for the batch", Tags: tags,
		Errors: []int{http.StatusBadRequest}},
		auth.ActAlertsCheck, func(ctx context.Context, in *alertBatchInput) (*Body[[]alerts.BatchResult], error) {
			rows := make([]alerts.BatchRow, len(in.Body.Rows))
			for i, r := range in.Body.Rows {
				rows[i] = alerts.BatchRow{Line: i + 1, Ref: r.Ref, Query: r.Query, Sex: r.Sex, Nationality: r.Nationality}
				if _, err := alerts.ParseQuery(r.Query); err != nil {
					return nil, problemFor(s.d.Logger, err, "/api/v1/alerts/check/batch")
				}
			}
			res, err := m.BatchCheck(ctx, p(ctx), rows, in.Body.Purpose)
			return &Body[[]alerts.BatchResult]{res}, err
		})
	register(s, huma.Operation{OperationID: "list-alerts", Method: http.MethodGet, Path: "/api/v1/alerts",
		Summary: "Alerts you may see: front-line users see alerts in force and not hidden", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActAlertsView, func(ctx context.Context, in *alertsListInput) (*Body[[]alerts.Alert], error) {
			as, err := m.List(ctx, p(ctx), alerts.Filter{Status: in.Status, Kind: in.Kind, Origin: in.Origin})
			return &Body[[]alerts.Alert]{as}, err
		})
	register(s, huma.Operation{OperationID: "create-alert", Method: http.MethodPost, Path: "/api/v1/alerts",
		Summary: "Draft an alert with its recipients (legal bases from the directory)", Tags: tags, DefaultStatus: http.StatusCreated, Errors: bad,
		MaxBodyBytes: photoLimit},
		auth.ActAlertsDraft, func(ctx context.Context, in *Body[alerts.AlertDraft]) (*Body[alerts.Alert], error) {
			a, err := m.Create(ctx, p(ctx), in.Body)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "get-alert", Method: http.MethodGet, Path: "/api/v1/alerts/{id}",
		Summary: "An alert with its recipients, flags, hit reports and timeline (the read is audited)", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActAlertsView, func(ctx context.Context, in *idInput) (*Body[alerts.Alert], error) {
			a, err := m.Get(ctx, p(ctx), in.ID)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "get-alert-photo", Method: http.MethodGet, Path: "/api/v1/alerts/{id}/photo",
		Summary: "The photo of the wanted person (JPEG or PNG), under the alert's visibility rules (the read is audited)", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActAlertsView, func(ctx context.Context, in *idInput) (*alertPhotoOutput, error) {
			ph, err := m.GetPhoto(ctx, p(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			return &alertPhotoOutput{ContentType: ph.ContentType, CacheControl: "private, no-store", Body: ph.Data}, nil
		})
	register(s, huma.Operation{OperationID: "update-alert", Method: http.MethodPut, Path: "/api/v1/alerts/{id}",
		Summary: "Change a draft alert", Tags: tags, Errors: bad, MaxBodyBytes: photoLimit},
		auth.ActAlertsDraft, func(ctx context.Context, in *alertDraftInput) (*Body[alerts.Alert], error) {
			a, err := m.Update(ctx, p(ctx), in.ID, in.Body)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "validate-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/validate",
		Summary: "Validate a draft (a second person; a prosecutor for arrest alerts): the alert becomes active and is distributed", Tags: tags, Errors: bad},
		auth.ActAlertsValidate, func(ctx context.Context, in *idInput) (*Body[alerts.Alert], error) {
			a, err := m.Validate(ctx, p(ctx), in.ID)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "distribute-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/distribute",
		Summary: "Send an alert in force to more countries", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertDistributeInput) (*Body[alerts.Alert], error) {
			a, err := m.Distribute(ctx, p(ctx), in.ID, in.Body.Recipients)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "hide-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/hidden",
		Summary: "Hide an alert from front-line users during an operation, or show it again", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertHiddenInput) (*Body[alerts.Alert], error) {
			a, err := m.SetHidden(ctx, p(ctx), in.ID, in.Body.Hidden, in.Body.Reason)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "extend-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/extend",
		Summary: "Keep an alert for another review period, with a reason", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertReasonInput) (*Body[alerts.Alert], error) {
			a, err := m.Extend(ctx, p(ctx), in.ID, in.Body.Reason)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "end-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/end",
		Summary: "Withdraw or delete an alert with a reason; every recipient's copy follows", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertEndInput) (*Body[alerts.Alert], error) {
			a, err := m.End(ctx, p(ctx), in.ID, in.Body.Status, in.Body.Reason)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "flag-alert", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/flag",
		Summary: "Flag a partner's alert: it will not be executed on this territory (or lift the flag)", Tags: tags, Errors: bad},
		auth.ActAlertsFlag, func(ctx context.Context, in *alertFlagInput) (*Body[alerts.Alert], error) {
			a, err := m.Flag(ctx, p(ctx), in.ID, in.Body.Reason, in.Body.Lift)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "request-flag-lift", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/lift-request",
		Summary: "Ask a flagging country urgently to lift its flag", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertLiftInput) (*Body[alerts.Alert], error) {
			a, err := m.RequestLift(ctx, p(ctx), in.ID, in.Body.Node, in.Body.Note)
			return &Body[alerts.Alert]{a}, err
		})
	register(s, huma.Operation{OperationID: "report-alert-hit", Method: http.MethodPost, Path: "/api/v1/alerts/{id}/hits",
		Summary: "File a hit report: it goes to the issuing country through both NCUs, with the answer deadline", Tags: tags, DefaultStatus: http.StatusCreated, Errors: bad},
		auth.ActAlertsHit, func(ctx context.Context, in *alertHitInput) (*Body[alerts.HitReport], error) {
			h, err := m.ReportHit(ctx, p(ctx), in.ID, in.Body)
			return &Body[alerts.HitReport]{h}, err
		})
	register(s, huma.Operation{OperationID: "list-alert-hits", Method: http.MethodGet, Path: "/api/v1/alerts/hits",
		Summary: "Hit reports of your agency, sent and received, open ones first", Tags: tags},
		auth.ActAlertsView, func(ctx context.Context, _ *emptyInput) (*Body[[]alerts.HitReport], error) {
			hs, err := m.Hits(ctx, p(ctx))
			return &Body[[]alerts.HitReport]{hs}, err
		})
	register(s, huma.Operation{OperationID: "answer-alert-hit", Method: http.MethodPost, Path: "/api/v1/alerts/hits/{id}/answer",
		Summary: "The issuer's answer to a hit report on further action", Tags: tags, Errors: bad},
		auth.ActAlertsManage, func(ctx context.Context, in *alertAnswerInput) (*Body[alerts.HitReport], error) {
			h, err := m.AnswerHit(ctx, p(ctx), in.ID, in.Body)
			return &Body[alerts.HitReport]{h}, err
		})

	ftags := []string{"Firearms"}
	register(s, huma.Operation{OperationID: "record-firearm", Method: http.MethodPost, Path: "/api/v1/firearms",
		Summary: "Record a firearm; a seized one is checked against every alert held here and hits are reported to the owner countries", Tags: ftags,
		DefaultStatus: http.StatusCreated, Errors: bad},
		auth.ActFirearmsEdit, func(ctx context.Context, in *Body[alerts.FirearmInput]) (*Body[alerts.FirearmResult], error) {
			r, err := m.RecordFirearm(ctx, p(ctx), in.Body)
			return &Body[alerts.FirearmResult]{r}, err
		})
	register(s, huma.Operation{OperationID: "list-firearms", Method: http.MethodGet, Path: "/api/v1/firearms",
		Summary: "Firearms recorded by your agency", Tags: ftags},
		auth.ActFirearmsView, func(ctx context.Context, _ *emptyInput) (*Body[[]alerts.Firearm], error) {
			fs, err := m.Firearms(ctx, p(ctx))
			return &Body[[]alerts.Firearm]{fs}, err
		})
	register(s, huma.Operation{OperationID: "firearm-stats", Method: http.MethodGet, Path: "/api/v1/firearms/stats",
		Summary: "Seized firearms by type, country of manufacture and route", Tags: ftags},
		auth.ActFirearmsView, func(ctx context.Context, _ *emptyInput) (*Body[[]alerts.FirearmStat], error) {
			st, err := m.FirearmStats(ctx, p(ctx))
			return &Body[[]alerts.FirearmStat]{st}, err
		})
	register(s, huma.Operation{OperationID: "request-firearm-trace", Method: http.MethodPost, Path: "/api/v1/firearms/{id}/trace",
		Summary: "Ask another country's firearms focal point to trace a recorded firearm (through both NCUs)", Tags: ftags, DefaultStatus: http.StatusCreated, Errors: bad},
		auth.ActFirearmsEdit, func(ctx context.Context, in *traceRequestInput) (*Body[alerts.Trace], error) {
			t, err := m.RequestTrace(ctx, p(ctx), in.ID, in.Body)
			return &Body[alerts.Trace]{t}, err
		})
	register(s, huma.Operation{OperationID: "list-firearm-traces", Method: http.MethodGet, Path: "/api/v1/firearms/traces",
		Summary: "Tracing requests of your agency, sent and received, with deadline flags", Tags: ftags},
		auth.ActFirearmsView, func(ctx context.Context, _ *emptyInput) (*Body[[]alerts.Trace], error) {
			ts, err := m.Traces(ctx, p(ctx))
			return &Body[[]alerts.Trace]{ts}, err
		})
	register(s, huma.Operation{OperationID: "get-firearm-trace", Method: http.MethodGet, Path: "/api/v1/firearms/traces/{id}",
		Summary: "A tracing request with its timeline", Tags: ftags, Errors: []int{http.StatusNotFound}},
		auth.ActFirearmsView, func(ctx context.Context, in *idInput) (*Body[alerts.Trace], error) {
			t, err := m.GetTrace(ctx, p(ctx), in.ID)
			return &Body[alerts.Trace]{t}, err
		})
	register(s, huma.Operation{OperationID: "change-firearm-trace", Method: http.MethodPost, Path: "/api/v1/firearms/traces/{id}/status",
		Summary: "Requested side: in progress, or answered with the firearm's legal history; requesting side: closed", Tags: ftags, Errors: bad},
		auth.ActFirearmsEdit, func(ctx context.Context, in *traceChangeInput) (*Body[alerts.Trace], error) {
			t, err := m.UpdateTrace(ctx, p(ctx), in.ID, in.Body)
			return &Body[alerts.Trace]{t}, err
		})

	s.handle("GET", "/alerts/firearms", auth.ActFirearmsView, s.firearmsPage)
	s.handle("POST", "/alerts/firearms", auth.ActFirearmsEdit, s.firearmsRecord)
	s.handle("POST", "/alerts/firearms/{id}/trace", auth.ActFirearmsEdit, s.firearmsTrace)
	s.handle("GET", "/alerts/firearms/traces/{id}", auth.ActFirearmsView, s.tracePage)
	s.handle("POST", "/alerts/firearms/traces/{id}/status", auth.ActFirearmsEdit, s.traceStatus)
	s.handle("GET", "/alerts", auth.ActAlertsView, s.alertsList)
	s.handle("GET", "/alerts/check", auth.ActAlertsCheck, s.alertsCheck)
	s.handle("POST", "/alerts/check", auth.ActAlertsCheck, s.alertsCheck)
	s.handle("POST", "/alerts/check/batch", auth.ActAlertsCheck, s.alertsBatch)
	s.handle("GET", "/alerts/new", auth.ActAlertsDraft, s.alertsNew)
	s.handle("POST", "/alerts", auth.ActAlertsDraft, s.alertsCreate, photoBody)
	s.handle("GET", "/alerts/{id}", auth.ActAlertsView, s.alertsView)
	s.handle("GET", "/alerts/{id}/edit", auth.ActAlertsDraft, s.alertsEdit)
	s.handle("POST", "/alerts/{id}/edit", auth.ActAlertsDraft, s.alertsUpdate, photoBody)
	s.handle("GET", "/alerts/{id}/photo", auth.ActAlertsView, s.alertsPhoto)
	s.handle("POST", "/alerts/{id}/validate", auth.ActAlertsValidate, s.alertsValidate)
	s.handle("POST", "/alerts/{id}/hidden", auth.ActAlertsManage, s.alertsHidden)
	s.handle("POST", "/alerts/{id}/extend", auth.ActAlertsManage, s.alertsExtend)
	s.handle("POST", "/alerts/{id}/end", auth.ActAlertsManage, s.alertsEnd)
	s.handle("POST", "/alerts/{id}/flag", auth.ActAlertsFlag, s.alertsFlag)
	s.handle("POST", "/alerts/{id}/lift", auth.ActAlertsManage, s.alertsLift)
	s.handle("POST", "/alerts/{id}/hits", auth.ActAlertsHit, s.alertsHit)
	s.handle("POST", "/alerts/{id}/answer", auth.ActAlertsManage, s.alertsAnswer)
}

// alertPhotoOutput is the photo of an alert as an API response.
type alertPhotoOutput struct {
	ContentType  string `header:"Content-Type"`
	CacheControl string `header:"Cache-Control"`
	Body         []byte
}

func (s *Server) alertsList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := alerts.Filter{Status: q.Get("status"), Kind: q.Get("kind"), Origin: q.Get("origin")}
	as, err := s.d.Alerts.List(ctx, PrincipalFrom(ctx), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	hs, err := s.d.Alerts.Hits(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "alerts", "alerts.title", "nav.alerts",
		map[string]any{"Alerts": as, "Hits": hs, "F": f, "Statuses": alerts.Statuses, "Kinds": alerts.Kinds}, "", "")
}

// alertsCheck is the front-line check screen: one search box, the answer
// right under it.
func (s *Server) alertsCheck(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	// The search is posted, so names and numbers stay out of URLs,
	// browser history and proxy logs.
	q := strings.TrimSpace(r.PostFormValue("q"))
	data := map[string]any{"Q": q, "Purpose": r.PostFormValue("purpose")}
	if r.Method == http.MethodPost {
		res, err := s.d.Alerts.Check(ctx, PrincipalFrom(ctx), q, r.PostFormValue("purpose"))
		if errs.Is(err, errs.Invalid) {
			s.render(w, r, http.StatusUnprocessableEntity, "alerts_check", "alerts.check.title", "nav.alerts", data, "", errs.SafeMessage(err))
			return
		}
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		data["R"] = res
	}
	s.render(w, r, http.StatusOK, "alerts_check", "alerts.check.title", "nav.alerts", data, "", "")
}

// alertsBatch checks an uploaded CSV list and sends the result back as a
// CSV download.
func (s *Server) alertsBatch(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseMultipartForm(16 << 20); err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "alerts_check", "alerts.check.title", "nav.alerts", map[string]any{}, "", s.d.Catalog.T(s.lang(r), "alerts.batch.nofile"))
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "alerts_check", "alerts.check.title", "nav.alerts", map[string]any{}, "", s.d.Catalog.T(s.lang(r), "alerts.batch.nofile"))
		return
	}
	defer f.Close()
	rows, bad, err := alerts.ParseBatch(f)
	if err == nil {
		var res []alerts.BatchResult
		if res, err = s.d.Alerts.BatchCheck(ctx, PrincipalFrom(ctx), rows, r.PostFormValue("purpose")); err == nil {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="check-result.csv"`)
			w.Header().Set("Cache-Control", "no-store")
			_ = alerts.WriteBatchCSV(w, res)
			for _, b := range bad {
				_, _ = w.Write([]byte(strconv.Itoa(b.Line) + ",,,REFUSED,,,,\"" + strings.ReplaceAll(b.Msg, `"`, `""`) + "\",,,\n"))
			}
			return
		}
	}
	if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooLarge) {
		s.render(w, r, http.StatusUnprocessableEntity, "alerts_check", "alerts.check.title", "nav.alerts", map[string]any{}, "", errs.SafeMessage(err))
		return
	}
	s.uiError(w, r, err)
}

// alertRecipient is a partner offered on the compose form with the
// agreements that can serve as the legal basis.
type alertRecipient struct {
	Node, Name string
	Bases      []directory.Agreement
}

func (s *Server) alertsFormData(r *http.Request, form alertForm) map[string]any {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	var recips []alertRecipient
	if s.d.Federation != nil {
		peers, _ := s.d.Federation.Peers(ctx)
		names := map[string]string{}
		var agreements []directory.Agreement
		if s.d.Directory != nil {
			if cs, err := s.d.Directory.Countries(ctx, p); err == nil {
				for _, c := range cs {
					if c.Node != "" {
						names[c.Node] = c.Name
					}
				}
			}
			for _, typ := range []string{"police_cooperation", "extradition"} {
				if as, err := s.d.Directory.Agreements(ctx, p, "", typ); err == nil {
					for _, a := range as {
						if !slices.ContainsFunc(agreements, func(b directory.Agreement) bool { return b.ID == a.ID }) {
							agreements = append(agreements, a)
						}
					}
				}
			}
		}
		own := strings.ToUpper(s.d.Node.ID)
		today := directory.Day(s.d.Clock.Now().UTC().Format("2006-01-02"))
		for _, pe := range peers {
			rc := alertRecipient{Node: pe.ID, Name: names[pe.ID]}
			if rc.Name == "" {
				rc.Name = pe.Name
			}
			for _, a := range agreements {
				if a.StateBetween(own, strings.ToUpper(pe.ID), today) == directory.StateInForce {
					rc.Bases = append(rc.Bases, a)
				}
			}
			recips = append(recips, rc)
		}
	}
	return map[string]any{"Form": form, "Kinds": alerts.Kinds, "Subs": alerts.Subs, "ObjectTypes": alerts.ObjectTypes, "DocStatuses": alerts.DocStatuses,
		"Warnings": alerts.Warnings, "Recipients": recips}
}

func (s *Server) alertsNew(w http.ResponseWriter, r *http.Request) {
	form := alertForm{"kind": {alerts.KindCheck}, "subject": {alerts.SubjectPerson}}
	if f := s.failedForm(r); f.Is("alert") {
		form = alertForm(f.Values)
	}
	data := s.alertsFormData(r, form)
	data["Title"], data["Action"] = "alerts.new", "/alerts"
	s.render(w, r, http.StatusOK, "alerts_form", "alerts.new", "nav.alerts", data, "", "")
}

// alertsEdit shows a draft of the reader's agency in the compose form,
// filled in, so a photo, links or recipients can be changed before a
// second person validates it.
func (s *Server) alertsEdit(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	a, err := s.d.Alerts.Get(ctx, p, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	if !a.Local || a.Status != alerts.StatusDraft || a.Agency != p.Agency {
		s.uiError(w, r, &errs.E{Kind: errs.Conflict, Op: "web.alerts", Code: "not-a-draft", Msg: "only a draft of your agency can be changed"})
		return
	}
	form := alertFormOf(a)
	if f := s.failedForm(r); f.Is("alert") {
		form = alertForm(f.Values)
	}
	data := s.alertsFormData(r, form)
	data["Title"], data["Action"], data["Alert"] = "alerts.edit", "/alerts/"+url.PathEscape(a.ID)+"/edit", a
	s.render(w, r, http.StatusOK, "alerts_form", "alerts.edit", "nav.alerts", data, "", "")
}

// photoBodyBytes is the body a request carrying an alert photo may have
// whatever --max-body-bytes says: the largest photo, base64-encoded in
// JSON, and the rest of the alert.
const photoBodyBytes = alerts.MaxPhotoBytes*4/3 + 512<<10

// alertForm is the compose form's values: one value per field, several
// for check boxes (warnings, recipients).
type alertForm url.Values

// V is the field's first value.
func (f alertForm) V(name string) string { return url.Values(f).Get(name) }

// Has reports whether a check box had value v.
func (f alertForm) Has(name, v string) bool { return slices.Contains(f[name], v) }

// alertFormOf writes an alert as the compose form's values.
func alertFormOf(a alerts.Alert) alertForm {
	f := url.Values{"kind": {a.Kind}, "sub": {a.Sub}, "subject": {a.Subject}, "action": {a.Action}, "reason": {a.Reason}, "authority": {a.Authority},
		"warrant_ref": {a.WarrantRef}, "interpol_ref": {a.InterpolRef}, "case_refs": {strings.Join(a.CaseRefs, ", ")}, "links": {strings.Join(a.Links, ", ")},
		"warnings": a.Warnings}
	if pe := a.Person; pe != nil {
		f.Set("subject", alerts.SubjectPerson)
		for k, v := range map[string]string{"given_name": pe.GivenName, "family_name": pe.FamilyName, "names": strings.Join(pe.Names, "\n"),
			"date_of_birth": pe.DateOfBirth, "place_of_birth": pe.PlaceOfBirth, "sex": pe.Sex, "nationalities": strings.Join(pe.Nationalities, ", "),
			"documents": strings.Join(pe.Documents, ", "), "national_ids": strings.Join(pe.NationalIDs, ", "), "description": pe.Description} {
			f.Set(k, v)
		}
	}
	if o := a.Object; o != nil {
		f.Set("subject", o.Type)
		for k, v := range map[string]string{"plate": o.Plate, "vin": o.VIN, "serial": o.Serial, "doc_number": o.DocNumber, "doc_status": o.DocStatus,
			"make": o.Make, "model": o.Model, "calibre": o.Calibre, "description": o.Description} {
			f.Set(k, v)
		}
	}
	if m := a.Misused; m != nil {
		f.Set("misused_name", m.Name)
		f.Set("misused_dob", m.DateOfBirth)
		f.Set("misused_document", m.Document)
		f.Set("misused_note", m.Note)
		if m.Consent {
			f.Set("misused_consent", "1")
		}
	}
	for _, rc := range a.Recipients {
		f.Add("recipient", rc.Node)
		f.Set("basis_"+rc.Node, rc.LegalBasisID)
	}
	return alertForm(f)
}

func lines(v string) []string {
	var out []string
	for _, l := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == ';' }) {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// alertDraftOf reads the compose form (a multipart form: the photo comes
// as a file) into a draft. Required fields are checked here so the
// message stands next to its field.
func alertDraftOf(r *http.Request) (alerts.AlertDraft, error) {
	// Held in memory: a photo of a wanted person is not left in temporary
	// files. A body over the limit is cut short, so the form is refused
	// as too large rather than read as a form missing its fields.
	if err := r.ParseMultipartForm(photoBodyBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return alerts.AlertDraft{}, errs.Wrap(errs.TooLarge, "web", "the request body is too large", err)
	}
	f := formValues(r, "kind", "sub", "subject", "given_name", "family_name", "names", "date_of_birth", "place_of_birth", "sex", "nationalities", "documents",
		"national_ids", "description", "plate", "vin", "serial", "doc_number", "doc_status", "make", "model", "calibre", "action", "reason", "authority",
		"warrant_ref", "interpol_ref", "case_refs", "misused_name", "misused_dob", "misused_document", "misused_note", "misused_consent")
	d := alerts.AlertDraft{Kind: f["kind"], Sub: f["sub"], Warnings: r.PostForm["warnings"], Action: f["action"], Reason: f["reason"], Authority: f["authority"],
		WarrantRef: f["warrant_ref"], InterpolRef: f["interpol_ref"], CaseRefs: splitList(f["case_refs"]), Links: splitList(r.PostFormValue("links")),
		RemovePhoto: r.PostFormValue("remove_photo") != ""}
	if file, _, err := r.FormFile("photo"); err == nil {
		b, err := io.ReadAll(io.LimitReader(file, alerts.MaxPhotoBytes+1))
		file.Close()
		if err != nil {
			return d, errs.New(errs.Invalid, "web", "the file cannot be read")
		}
		d.Photo = b // checked by the service (type, size, dimensions)
	}
	if f["subject"] == alerts.SubjectPerson || f["subject"] == "" {
		d.Person = &alerts.WantedPerson{GivenName: f["given_name"], FamilyName: f["family_name"], Names: lines(f["names"]), DateOfBirth: f["date_of_birth"],
			PlaceOfBirth: f["place_of_birth"], Sex: f["sex"], Nationalities: splitList(f["nationalities"]), Documents: splitList(f["documents"]),
			NationalIDs: splitList(f["national_ids"]), Description: f["description"]}
	} else {
		d.Object = &alerts.WantedObject{Type: f["subject"], Plate: f["plate"], VIN: f["vin"], Serial: f["serial"], DocNumber: f["doc_number"], DocStatus: f["doc_status"],
			Make: f["make"], Model: f["model"], Calibre: f["calibre"], Description: f["description"]}
	}
	if strings.TrimSpace(f["misused_name"]) != "" {
		d.Misused = &alerts.Misused{Name: f["misused_name"], DateOfBirth: f["misused_dob"], Document: f["misused_document"], Note: f["misused_note"], Consent: f["misused_consent"] != ""}
	}
	for _, node := range r.PostForm["recipient"] {
		d.Recipients = append(d.Recipients, alerts.RecipientInput{Node: node, LegalBasisID: r.PostFormValue("basis_" + node)})
	}
	for _, check := range []error{needField(f["action"], "action", "alerts.err.action"), needField(f["reason"], "reason", "form.err.reason"),
		needField(f["authority"], "authority", "alerts.err.authority")} {
		if check != nil {
			return d, check
		}
	}
	return d, nil
}

func (s *Server) alertsCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := alertDraftOf(r)
	if err == nil {
		var a alerts.Alert
		if a, err = s.d.Alerts.Create(ctx, PrincipalFrom(ctx), d); err == nil {
			http.Redirect(w, r, "/alerts/"+url.PathEscape(a.ID)+"?ok=created", http.StatusSeeOther)
			return
		}
	}
	s.failForm(w, r, "/alerts/new", "alert", err)
}

func (s *Server) alertsUpdate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	d, err := alertDraftOf(r)
	if err == nil {
		var a alerts.Alert
		if a, err = s.d.Alerts.Update(ctx, PrincipalFrom(ctx), id, d); err == nil {
			http.Redirect(w, r, "/alerts/"+url.PathEscape(a.ID)+"?ok=edited", http.StatusSeeOther)
			return
		}
	}
	s.failForm(w, r, "/alerts/"+url.PathEscape(id)+"/edit", "alert", err)
}

func (s *Server) alertsView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.d.Alerts.Get(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		if msg, found := s.d.Catalog.Lookup(s.lang(r), "alerts.ok."+ok); found {
			flash = msg
		}
	}
	p := PrincipalFrom(ctx)
	issuer := a.Local && (a.Agency == p.Agency || p.Has(auth.RoleNCUOperator))
	data := map[string]any{"A": a, "Issuer": issuer, "InForce": alerts.InForce(a.Status), "Final": alerts.Final(a.Status), "Draft": a.Status == alerts.StatusDraft,
		"Editable": a.Local && a.Status == alerts.StatusDraft && a.Agency == p.Agency && auth.Can(p, auth.ActAlertsDraft)}
	// From an arrest-alert hit abroad the issuer's prosecutor opens the
	// extradition request prefilled with the alert.
	if issuer && a.Kind == alerts.KindArrest && auth.Can(p, auth.ActMLADraft) {
		for _, h := range a.Hits {
			if h.Direction == "incoming" && h.ReporterNode != s.d.Node.ID {
				q := url.Values{"target_node": {h.ReporterNode}, "kind": {"extradition"}, "title": {"Extradition of " + a.Label},
					"facts":   {a.Reason + "\n\nHit at " + h.Place + " on " + h.CheckedAt.UTC().Format("2006-01-02 15:04") + " UTC; action taken: " + h.ActionTaken},
					"persons": {a.Label}, "case_refs": {strings.Join(append([]string{a.WarrantRef}, a.CaseRefs...), ", ")}}
				data["Extradition"] = "/mla/new?" + q.Encode()
				break
			}
		}
	}
	if s.d.Cases != nil && len(a.CaseRefs) > 0 {
		links, err := s.d.Cases.CaseLinks(ctx, p, a.CaseRefs)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		data["CaseLinks"] = links
	}
	s.render(w, r, http.StatusOK, "alerts_alert", "alerts.alert", "nav.alerts", data, flash, "")
}

// alertsPhoto serves the photo of an alert under the alert's visibility
// rules; every read is audited by the service.
func (s *Server) alertsPhoto(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	ph, err := s.d.Alerts.GetPhoto(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", ph.ContentType)
	w.Header().Set("Content-Length", strconv.FormatInt(ph.Size, 10))
	w.Header().Set("Cache-Control", "private, no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	_, _ = w.Write(ph.Data)
}

func (s *Server) alertsAfter(w http.ResponseWriter, r *http.Request, form string, err error, ok string) {
	if err != nil {
		s.failForm(w, r, "/alerts/"+url.PathEscape(r.PathValue("id")), form, err)
		return
	}
	http.Redirect(w, r, "/alerts/"+url.PathEscape(r.PathValue("id"))+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) alertsValidate(w http.ResponseWriter, r *http.Request) {
	_, err := s.d.Alerts.Validate(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"))
	s.alertsAfter(w, r, "validate", err, "validated")
}

func (s *Server) alertsHidden(w http.ResponseWriter, r *http.Request) {
	hidden := r.PostFormValue("hidden") == "1"
	if hidden {
		if err := needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err != nil {
			s.alertsAfter(w, r, "hidden", err, "")
			return
		}
	}
	_, err := s.d.Alerts.SetHidden(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), hidden, r.PostFormValue("reason"))
	s.alertsAfter(w, r, "hidden", err, "hidden")
}

func (s *Server) alertsExtend(w http.ResponseWriter, r *http.Request) {
	if err := needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err != nil {
		s.alertsAfter(w, r, "extend", err, "")
		return
	}
	_, err := s.d.Alerts.Extend(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("reason"))
	s.alertsAfter(w, r, "extend", err, "extended")
}

func (s *Server) alertsEnd(w http.ResponseWriter, r *http.Request) {
	if err := needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err != nil {
		s.alertsAfter(w, r, "end", err, "")
		return
	}
	_, err := s.d.Alerts.End(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("status"), r.PostFormValue("reason"))
	s.alertsAfter(w, r, "end", err, "ended")
}

func (s *Server) alertsFlag(w http.ResponseWriter, r *http.Request) {
	lift := r.PostFormValue("lift") == "1"
	if !lift {
		if err := needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err != nil {
			s.alertsAfter(w, r, "flag", err, "")
			return
		}
	}
	_, err := s.d.Alerts.Flag(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("reason"), lift)
	s.alertsAfter(w, r, "flag", err, "flagged")
}

func (s *Server) alertsLift(w http.ResponseWriter, r *http.Request) {
	if err := needField(r.PostFormValue("note"), "note", "form.err.reason"); err != nil {
		s.alertsAfter(w, r, "lift", err, "")
		return
	}
	_, err := s.d.Alerts.RequestLift(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("node"), r.PostFormValue("note"))
	s.alertsAfter(w, r, "lift", err, "liftasked")
}

func (s *Server) alertsHit(w http.ResponseWriter, r *http.Request) {
	f := formValues(r, "place", "check_reason", "route", "companions", "vehicle", "action_taken")
	for _, check := range []error{needField(f["place"], "place", "alerts.err.place"), needField(f["action_taken"], "action_taken", "alerts.err.actiontaken")} {
		if check != nil {
			s.alertsAfter(w, r, "hit", check, "")
			return
		}
	}
	_, err := s.d.Alerts.ReportHit(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), alerts.HitInput{Place: f["place"], CheckReason: f["check_reason"],
		Route: f["route"], Companions: f["companions"], Vehicle: f["vehicle"], ActionTaken: f["action_taken"]})
	s.alertsAfter(w, r, "hit", err, "hitreported")
}

func (s *Server) alertsAnswer(w http.ResponseWriter, r *http.Request) {
	if err := needField(r.PostFormValue("answer"), "answer", "alerts.err.answer"); err != nil {
		s.alertsAfter(w, r, "answer", err, "")
		return
	}
	_, err := s.d.Alerts.AnswerHit(r.Context(), PrincipalFrom(r.Context()), r.PostFormValue("hit"), alerts.AnswerInput{Answer: r.PostFormValue("answer"), Outcome: r.PostFormValue("outcome")})
	s.alertsAfter(w, r, "answer", err, "answered")
}

func (s *Server) firearmsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	fs, err := s.d.Alerts.Firearms(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ts, err := s.d.Alerts.Traces(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	st, err := s.d.Alerts.FirearmStats(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var peers []string
	if s.d.Federation != nil {
		if ps, err := s.d.Federation.Peers(ctx); err == nil {
			for _, pe := range ps {
				peers = append(peers, pe.ID)
			}
		}
	}
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		if msg, found := s.d.Catalog.Lookup(s.lang(r), "firearms.ok."+ok); found {
			flash = msg
		}
	}
	s.render(w, r, http.StatusOK, "alerts_firearms", "firearms.title", "nav.alerts", map[string]any{"Firearms": fs, "Traces": ts, "Stats": st,
		"Types": alerts.FirearmTypes, "Statuses": alerts.FirearmStatuses, "Peers": peers, "Focal": s.d.Alerts.FocalPoints(ctx, p, peers)}, flash, "")
}

func (s *Server) firearmsRecord(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := formValues(r, "manufacturer", "country_made", "serial", "year", "model", "calibre", "type", "import_marking", "status", "persons", "case_refs", "place", "route")
	if err := needField(f["serial"], "serial", "firearms.err.serial"); err != nil {
		s.failForm(w, r, "/alerts/firearms", "firearm", err)
		return
	}
	year, _ := strconv.Atoi(strings.TrimSpace(f["year"]))
	res, err := s.d.Alerts.RecordFirearm(ctx, PrincipalFrom(ctx), alerts.FirearmInput{Manufacturer: f["manufacturer"], CountryMade: f["country_made"], Serial: f["serial"],
		Year: year, Model: f["model"], Calibre: f["calibre"], Type: f["type"], ImportMarking: f["import_marking"], Status: f["status"],
		Persons: lines(f["persons"]), CaseRefs: splitList(f["case_refs"]), Place: f["place"], Route: f["route"]})
	if err != nil {
		s.failForm(w, r, "/alerts/firearms", "firearm", err)
		return
	}
	ok := "recorded"
	if len(res.Hits) > 0 {
		ok = "hit"
	}
	http.Redirect(w, r, "/alerts/firearms?ok="+ok, http.StatusSeeOther)
}

func (s *Server) firearmsTrace(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := needField(r.PostFormValue("circumstances"), "circumstances", "firearms.err.circumstances"); err != nil {
		s.failForm(w, r, "/alerts/firearms", "trace", err)
		return
	}
	t, err := s.d.Alerts.RequestTrace(ctx, PrincipalFrom(ctx), r.PathValue("id"), alerts.TraceInput{ToNode: r.PostFormValue("to_node"),
		LegalBasisID: r.PostFormValue("legal_basis_id"), Circumstances: r.PostFormValue("circumstances"), FocalPointID: r.PostFormValue("focal_point_id")})
	if err != nil {
		s.failForm(w, r, "/alerts/firearms", "trace", err)
		return
	}
	http.Redirect(w, r, "/alerts/firearms/traces/"+url.PathEscape(t.ID)+"?ok=sent", http.StatusSeeOther)
}

func (s *Server) tracePage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.d.Alerts.GetTrace(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		if msg, found := s.d.Catalog.Lookup(s.lang(r), "firearms.ok."+ok); found {
			flash = msg
		}
	}
	s.render(w, r, http.StatusOK, "alerts_trace", "firearms.trace", "nav.alerts", map[string]any{"T": t}, flash, "")
}

func (s *Server) traceStatus(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	page := "/alerts/firearms/traces/" + url.PathEscape(r.PathValue("id"))
	if r.PostFormValue("status") == alerts.TraceAnswered {
		if err := needField(r.PostFormValue("answer"), "answer", "firearms.err.answer"); err != nil {
			s.failForm(w, r, page, "trace", err)
			return
		}
	}
	_, err := s.d.Alerts.UpdateTrace(ctx, PrincipalFrom(ctx), r.PathValue("id"), alerts.TraceChange{Status: r.PostFormValue("status"), Answer: r.PostFormValue("answer")})
	if err != nil {
		s.failForm(w, r, page, "trace", err)
		return
	}
	http.Redirect(w, r, page+"?ok=status", http.StatusSeeOther)
}
