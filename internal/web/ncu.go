package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// routeTarget is a national agency the NCU may route an incoming message to.
type routeTarget struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	Acronym string `json:"acronym,omitempty"`
}

// routeTargets lists where the NCU may route incoming messages: the
// agencies this node is the authority for in the directory, then any agency
// that has accounts on this node but no directory entry yet.
func (s *Server) routeTargets(ctx context.Context) ([]routeTarget, error) {
	var out []routeTarget
	seen := map[string]bool{}
	if s.d.Directory != nil {
		as, err := s.d.Directory.NodeAgencies(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range as {
			out = append(out, routeTarget{Code: a.Code, Name: a.Name, Acronym: a.Acronym})
			seen[a.Code] = true
		}
	}
	codes, err := s.d.Auth.UserAgencies(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range codes {
		if !seen[c] {
			out = append(out, routeTarget{Code: c, Name: c})
			seen[c] = true
		}
	}
	return out, nil
}

// checkRouteTarget refuses an agency code that is not a routing target of
// this node, so a typo cannot send a message nowhere.
func (s *Server) checkRouteTarget(ctx context.Context, code string) (string, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return "", &errs.E{Kind: errs.Invalid, Op: "web.route", Code: "unknown-agency", Msg: "choose the national agency that should receive the message"}
	}
	ts, err := s.routeTargets(ctx)
	if err != nil {
		return "", err
	}
	for _, t := range ts {
		if strings.EqualFold(t.Code, code) {
			return t.Code, nil
		}
	}
	return "", &errs.E{Kind: errs.Invalid, Op: "web.route", Code: "unknown-agency",
		Msg: "agency " + textutil.Ellipsis(code, 60) + " is not a national agency of this node; choose one from the directory"}
}

// suggestedTarget is the routing target the sender named, matched by code,
// acronym or name inside what the sender wrote.
func suggestedTarget(ts []routeTarget, named string) string {
	named = strings.ToLower(strings.TrimSpace(named))
	if named == "" {
		return ""
	}
	for _, t := range ts {
		if strings.ToLower(t.Code) == named {
			return t.Code
		}
	}
	for _, t := range ts {
		if (t.Name != t.Code && strings.Contains(named, strings.ToLower(t.Name))) || (t.Acronym != "" && slices.Contains(strings.FieldsFunc(named, func(r rune) bool { return r == ' ' || r == ',' || r == '(' || r == ')' || r == '·' }), strings.ToLower(t.Acronym))) {
			return t.Code
		}
	}
	return ""
}

// queueItemPage shows one message of the NCU's work with its content, the
// entities it names and its markings, and the decision controls.
func (s *Server) queueItemPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.d.Federation.QueueItemDetail(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	targets, err := s.routeTargets(ctx)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	selected := d.RoutedTo
	if selected == "" {
		selected = suggestedTarget(targets, d.Preview.Agency)
	}
	if f := s.failedForm(r); f != nil && f.V("agency") != "" {
		selected = f.V("agency")
	}
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "ncu.ok."+ok)
	}
	s.render(w, r, http.StatusOK, "queue_item", "ncu.item", "nav.ncu", map[string]any{"Item": d, "Targets": targets, "Selected": selected,
		"Suggested": d.RoutedTo == "" && selected != "" && selected == suggestedTarget(targets, d.Preview.Agency)}, flash, "")
}

// queueReroute routes an already routed incoming message to another agency.
func (s *Server) queueReroute(w http.ResponseWriter, r *http.Request) {
	ctx, id := r.Context(), r.PathValue("id")
	agency, err := s.checkRouteTarget(ctx, r.PostFormValue("agency"))
	if err == nil {
		err = s.d.Federation.Reroute(ctx, PrincipalFrom(ctx), id, agency)
	}
	if err != nil {
		s.failForm(w, r, "/federation/queue/"+url.PathEscape(id), "route", err)
		return
	}
	http.Redirect(w, r, "/federation/queue?ok=reroute", http.StatusSeeOther)
}

type queueItemOutput struct {
	federation.QueueDetail
	Targets []routeTarget `json:"targets,omitempty" doc:"agencies an incoming message may be routed to"`
}

func (s *Server) apiQueueItem(ctx context.Context, in *idInput) (*Body[queueItemOutput], error) {
	d, err := s.d.Federation.QueueItemDetail(ctx, PrincipalFrom(ctx), in.ID)
	if err != nil {
		return nil, err
	}
	out := queueItemOutput{QueueDetail: d}
	if d.Direction == "incoming" {
		if out.Targets, err = s.routeTargets(ctx); err != nil {
			return nil, err
		}
	}
	return &Body[queueItemOutput]{out}, nil
}

func (s *Server) apiRoute(reroute bool) func(ctx context.Context, in *routeInput) (*struct{}, error) {
	return func(ctx context.Context, in *routeInput) (*struct{}, error) {
		agency, err := s.checkRouteTarget(ctx, in.Body.Agency)
		if err != nil {
			return nil, err
		}
		if reroute {
			return &struct{}{}, s.d.Federation.Reroute(ctx, PrincipalFrom(ctx), in.ID, agency)
		}
		return &struct{}{}, s.d.Federation.Route(ctx, PrincipalFrom(ctx), in.ID, agency)
	}
}

var _ = auth.ActNCUQueue
