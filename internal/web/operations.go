package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/operations"
)

type opsBoardInput struct {
	Kind string `query:"kind" enum:"hot_pursuit,surveillance,controlled_delivery,joint_patrol,incident,"`
	All  bool   `query:"all" doc:"include closed operations"`
}

type opsIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type opsOpenInput struct {
	Body operations.OpenInput
}

type opsActInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body operations.ActInput
}

type opsBasisInput struct {
	Kind string `query:"kind" required:"true" enum:"hot_pursuit,surveillance,controlled_delivery,joint_patrol,incident"`
	Node string `query:"node" required:"true" minLength:"2" maxLength:"32" doc:"the other country's node"`
}

type opsTermsInput struct {
	Body operations.TermsInput
}

type opsVerifyOutput struct {
	Body struct {
		Intact bool `json:"intact"`
	}
}

// registerOperations adds the operations room's API operations and pages.
func (s *Server) registerOperations() {
	if s.d.Ops == nil {
		return
	}
	m := s.d.Ops
	tags := []string{"Operations room"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}
	register(s, huma.Operation{OperationID: "operations-board", Method: http.MethodGet, Path: "/api/v1/operations",
		Summary: "The operations board: live hot pursuits, surveillance, controlled deliveries, joint patrols and incidents the caller may see", Tags: tags,
		Errors: []int{http.StatusBadRequest}},
		auth.ActOpsView, func(ctx context.Context, in *opsBoardInput) (*Body[[]operations.Operation], error) {
			r, err := m.Board(ctx, p(ctx), operations.BoardFilter{Kind: in.Kind, All: in.All})
			return &Body[[]operations.Operation]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-open", Method: http.MethodPost, Path: "/api/v1/operations", DefaultStatus: http.StatusCreated,
		Summary: "Open an operation or incident and notify the countries taking part; refused with code no-legal-basis when no agreement allows it", Tags: tags, Errors: bad},
		auth.ActOpsNotify, func(ctx context.Context, in *opsOpenInput) (*Body[operations.Operation], error) {
			r, err := m.Open(ctx, p(ctx), in.Body)
			return &Body[operations.Operation]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-legal-basis", Method: http.MethodGet, Path: "/api/v1/operations/legal-basis",
		Summary: "The agreement that allows an operation into a country and the host state's declared terms, or why none does", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActOpsView, func(ctx context.Context, in *opsBasisInput) (*Body[operations.Basis], error) {
			r, err := m.LegalBasis(ctx, p(ctx), in.Kind, in.Node)
			return &Body[operations.Basis]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-terms", Method: http.MethodPut, Path: "/api/v1/operations/terms",
		Summary: "Record what a state declared under an agreement: hot pursuit allowed, distance and time limits, right to apprehend, surveillance authorisation deadline", Tags: tags, Errors: bad},
		auth.ActOpsTerms, func(ctx context.Context, in *opsTermsInput) (*Body[operations.OpTerms], error) {
			r, err := m.SetTerms(ctx, p(ctx), in.Body)
			return &Body[operations.OpTerms]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-patrol-stats", Method: http.MethodGet, Path: "/api/v1/operations/patrol-stats",
		Summary: "Joint patrols per border sector: planned, confirmed, reported, checks", Tags: tags},
		auth.ActOpsView, func(ctx context.Context, _ *struct{}) (*Body[[]operations.SectorStats], error) {
			r, err := m.PatrolStats(ctx, p(ctx))
			return &Body[[]operations.SectorStats]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-get", Method: http.MethodGet, Path: "/api/v1/operations/{id}",
		Summary: "One operation with its hash-chained log, countries, organisations and tasks", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActOpsView, func(ctx context.Context, in *opsIDInput) (*Body[operations.Operation], error) {
			r, err := m.Get(ctx, p(ctx), in.ID)
			return &Body[operations.Operation]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-act", Method: http.MethodPost, Path: "/api/v1/operations/{id}/actions",
		Summary: "Record an action: position update, log entry, the host's decisions (acknowledge, hand over, stop, authorise, refuse, confirm), end, report, situation report, organisation state, task, share, close", Tags: tags, Errors: bad},
		auth.ActOpsView, func(ctx context.Context, in *opsActInput) (*Body[operations.Operation], error) {
			r, err := m.Act(ctx, p(ctx), in.ID, in.Body)
			return &Body[operations.Operation]{r}, err
		})
	register(s, huma.Operation{OperationID: "operations-verify", Method: http.MethodGet, Path: "/api/v1/operations/{id}/verify",
		Summary: "Verify the hash chain of an operation's log on this node (409 log-altered when an entry was changed)", Tags: tags, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.ActOpsView, func(ctx context.Context, in *opsIDInput) (*opsVerifyOutput, error) {
			out := &opsVerifyOutput{}
			err := m.VerifyLog(ctx, p(ctx), in.ID)
			out.Body.Intact = err == nil
			return out, err
		})

	s.registerOperationsTerms()

	s.handle("GET", "/operations", auth.ActOpsView, s.opsBoard)
	s.handle("GET", "/operations/events", auth.ActOpsView, s.opsEvents)
	s.handle("GET", "/operations/new", auth.ActOpsNotify, s.opsNew)
	s.handle("POST", "/operations", auth.ActOpsNotify, s.opsCreate)
	s.handle("GET", "/operations/patrols", auth.ActOpsView, s.opsPatrols)
	s.handle("GET", "/operations/{id}", auth.ActOpsView, s.opsView)
	s.handle("POST", "/operations/{id}/act", auth.ActOpsView, s.opsAct)
}

func (s *Server) opsBoard(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f := operations.BoardFilter{Kind: r.URL.Query().Get("kind"), All: r.URL.Query().Get("all") == "1"}
	ops, err := s.d.Ops.Board(ctx, PrincipalFrom(ctx), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	exercise := slices.ContainsFunc(ops, func(o operations.Operation) bool { return o.Exercise })
	data := map[string]any{"Ops": ops, "F": f, "Kinds": operations.Kinds, "Exercise": exercise,
		"Map": opsMap(ops, nil, s.d.Catalog.T(s.lang(r), "ops.map")), "Updated": s.d.Clock.Now()}
	s.render(w, r, http.StatusOK, "operations", "ops.title", "nav.operations", data, "", "")
}

// opsEvents streams a server-sent event each time an operation changes on
// this node; the board and operation pages read themselves again on each.
// The events carry only the operation's ID: what the viewer may see is
// decided, and audited, when the page is read.
func (s *Server) opsEvents(w http.ResponseWriter, r *http.Request) {
	if !strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		writeProblem(w, problemFor(s.d.Logger, &errs.E{Kind: errs.Invalid, Op: "web.events", Code: "event-stream",
			Msg: "this address serves only live event streams to the pages of this site"}, r.URL.Path))
		return
	}
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	changes, stop := s.d.Ops.Subscribe()
	defer stop()
	fmt.Fprint(w, "retry: 2000\nevent: hello\ndata: ok\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	keepAlive := time.NewTicker(25 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.streamsDone:
			return
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case c := <-changes:
			fmt.Fprintf(w, "event: change\ndata: %s\n\n", c.OpID)
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// CloseStreams ends the open event streams (the server shuts down).
func (s *Server) CloseStreams() {
	s.streamsOnce.Do(func() { close(s.streamsDone) })
}

type opsCountry struct {
	Node, Name string
	Basis      operations.Basis
}

func (s *Server) opsCountries(r *http.Request, kind string) []opsCountry {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	var out []opsCountry
	if s.d.Federation == nil {
		return out
	}
	peers, _ := s.d.Federation.Peers(ctx)
	names := map[string]string{}
	if s.d.Directory != nil {
		if cs, err := s.d.Directory.Countries(ctx, p); err == nil {
			for _, c := range cs {
				// The country itself, not one of its entities on the same node.
				if c.Node != "" && (names[c.Node] == "" || c.Code == strings.ToUpper(c.Node)) {
					names[c.Node] = c.Name
				}
			}
		}
	}
	for _, pe := range peers {
		c := opsCountry{Node: pe.ID, Name: names[pe.ID]}
		if c.Name == "" {
			c.Name = pe.Name
		}
		if b, err := s.d.Ops.LegalBasis(ctx, p, kind, pe.ID); err == nil {
			c.Basis = b
		}
		out = append(out, c)
	}
	return out
}

func (s *Server) opsNew(w http.ResponseWriter, r *http.Request) {
	kind := r.URL.Query().Get("kind")
	if !slices.Contains(operations.Kinds, kind) {
		kind = operations.KindPursuit
	}
	form := map[string]string{"kind": kind, "severity": "3"}
	if f := s.failedForm(r); f.Is("op") {
		form = f.Map()
		if slices.Contains(operations.Kinds, form["kind"]) {
			kind = form["kind"]
		}
	}
	data := map[string]any{"Kind": kind, "Kinds": operations.Kinds, "Form": form, "Countries": s.opsCountries(r, kind), "IncidentTypes": operations.IncidentTypes, "Severities": []string{"1", "2", "3", "4", "5"},
		"Chosen": r.URL.Query()["country"]}
	s.render(w, r, http.StatusOK, "operations_form", "ops.new."+kind, "nav.operations", data, "", "")
}

func (s *Server) opsCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	f := formValues(r, "kind", "title", "unit", "officers", "vehicles", "persons", "target_vehicle", "offence", "direction", "crossing", "route", "consignment",
		"handovers", "sector", "sector_area", "start", "end", "schedule", "language", "commander", "incident_type", "severity", "location", "lead_org", "position", "where")
	back := "/operations/new?kind=" + url.QueryEscape(f["kind"])
	in := operations.OpenInput{Kind: f["kind"], Title: f["title"], Countries: r.PostForm["country"], Exercise: r.PostFormValue("exercise") != "",
		Urgent: r.PostFormValue("urgent") != "", Position: f["position"], Where: f["where"],
		Details: operations.OpDetails{Unit: f["unit"], Officers: splitList(f["officers"]), Vehicles: splitList(f["vehicles"]), Persons: splitList(f["persons"]),
			TargetVehicle: f["target_vehicle"], Offence: f["offence"], Direction: f["direction"], Crossing: f["crossing"], Route: f["route"],
			Consignment: f["consignment"], Handovers: lines(f["handovers"]), Sector: f["sector"], Start: f["start"], End: f["end"], Schedule: f["schedule"],
			Language: f["language"], Commander: f["commander"], IncidentType: f["incident_type"], Location: f["location"], LeadOrg: f["lead_org"]}}
	if f["severity"] != "" {
		n, err := strconv.Atoi(strings.TrimSpace(f["severity"]))
		if err != nil {
			s.failForm(w, r, back, "op", errs.New(errs.Invalid, "operations.Open", "the severity is a number from 1 to 5"))
			return
		}
		in.Severity = n
	}
	if strings.TrimSpace(f["sector_area"]) != "" {
		pts, err := operations.ParsePoints(f["sector_area"])
		if err != nil {
			s.failForm(w, r, back, "op", err)
			return
		}
		in.Details.SectorArea = pts
	}
	if err := needField(f["title"], "title", "ops.err.title"); err != nil {
		s.failForm(w, r, back, "op", err)
		return
	}
	o, err := s.d.Ops.Open(ctx, PrincipalFrom(ctx), in)
	if err != nil {
		s.failForm(w, r, back, "op", err)
		return
	}
	http.Redirect(w, r, "/operations/"+url.PathEscape(o.ID)+"?ok=opened", http.StatusSeeOther)
}

// opsActions are the actions offered on an operation's page, by kind.
var opsActions = map[string][]string{
	operations.KindPursuit:      {operations.EvPosition, operations.EvNote, operations.EvAcknowledge, operations.EvHandover, operations.EvStop, operations.EvEnd, operations.EvReport},
	operations.KindSurveillance: {operations.EvPosition, operations.EvNote, operations.EvAuthorise, operations.EvRefuse, operations.EvEnd, operations.EvReport},
	operations.KindDelivery:     {operations.EvPosition, operations.EvNote, operations.EvAuthorise, operations.EvRefuse, operations.EvStart, operations.EvPassed, operations.EvEnd, operations.EvReport},
	operations.KindPatrol:       {operations.EvNote, operations.EvConfirm, operations.EvCancel, operations.EvReport},
	operations.KindIncident:     {operations.EvNote, operations.EvSitrep, operations.EvOrg, operations.EvTask, operations.EvShare, operations.EvClose},
}

func (s *Server) opsView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	o, err := s.d.Ops.Get(ctx, p, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		if msg, found := s.d.Catalog.Lookup(s.lang(r), "ops.ok."+ok); found {
			flash = msg
		}
	}
	var acts []string
	for _, a := range opsActions[o.Kind] {
		need := auth.ActOpsNotify
		if slices.Contains(operations.DecisionActions, a) {
			need = auth.ActOpsDecide
		}
		if auth.Can(p, need) && operations.Possible(o, a, s.d.Node.ID) {
			acts = append(acts, a)
		}
	}
	var sitreps []operations.OpEvent
	for _, e := range o.Events {
		if e.Kind == operations.EvSitrep {
			sitreps = append(sitreps, e)
		}
	}
	var share []opsCountry
	if o.Kind == operations.KindIncident && o.Local {
		for _, c := range s.opsCountries(r, o.Kind) {
			if !o.Takes(c.Node) {
				share = append(share, c)
			}
		}
	}
	data := map[string]any{"O": o, "Actions": acts, "Sitreps": sitreps, "Share": share, "Closed": operations.Closed(o.Status),
		"OrgStates": operations.OrgStates, "TaskStates": operations.TaskStates, "Priorities": operations.Priorities,
		"Map": opsMap(nil, &o, s.d.Catalog.T(s.lang(r), "ops.map")), "Self": s.d.Node.ID}
	s.render(w, r, http.StatusOK, "operations_op", "ops.op", "nav.operations", data, flash, "")
}

func (s *Server) opsAct(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	f := formValues(r, "kind", "text", "position", "agency", "org", "state", "task_id", "title", "priority", "node", "checks", "links")
	id := r.PathValue("id")
	back := "/operations/" + url.PathEscape(id)
	in := operations.ActInput{Kind: f["kind"], Text: f["text"], Position: f["position"], Agency: f["agency"], Org: f["org"], State: f["state"], TaskID: f["task_id"],
		Title: f["title"], Priority: f["priority"], Node: f["node"], Links: f["links"]}
	form := "act-" + f["kind"]
	if f["kind"] == operations.EvTaskState {
		form = "task-" + f["task_id"]
	}
	if f["checks"] != "" {
		n, err := parseWhole(f["checks"], "checks")
		if err != nil {
			s.failForm(w, r, back, form, err)
			return
		}
		in.Checks = int(n)
	}
	if _, err := s.d.Ops.Act(ctx, PrincipalFrom(ctx), id, in); err != nil {
		s.failForm(w, r, back, form, err)
		return
	}
	http.Redirect(w, r, back+"?ok=done", http.StatusSeeOther)
}

func (s *Server) opsPatrols(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	stats, err := s.d.Ops.PatrolStats(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "operations_patrols", "ops.patrols", "nav.operations", map[string]any{"Stats": stats}, "", "")
}
