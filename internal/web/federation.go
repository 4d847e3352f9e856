package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/federation"
)

// registerFederation adds the federation UI pages, API operations and the
// peer inbox.
func (s *Server) registerFederation() {
	if s.d.Federation == nil {
		return
	}
	f := s.d.Federation
	inbox := f.InboxHandler()
	s.handle("POST", federation.InboxPath, auth.ActFederationInbox, inbox.ServeHTTP)
	s.handle("POST", federation.CallPrefix+federation.CallHealth, auth.ActFederationCall, f.HealthHandler().ServeHTTP)

	s.handle("GET", "/federation", auth.ActFederationView, s.federationPage)
	s.handle("POST", "/federation/peers", auth.ActPeerManage, s.peerAdd)
	s.handle("POST", "/federation/peers/{id}/suspend", auth.ActPeerManage, s.peerSuspend(true))
	s.handle("POST", "/federation/peers/{id}/resume", auth.ActPeerManage, s.peerSuspend(false))
	s.handle("POST", "/federation/peers/{id}/ping", auth.ActPeerPing, s.peerPing)
	s.handle("GET", "/federation/queue", auth.ActNCUQueue, s.queuePage)
	s.handle("POST", "/federation/queue/{id}/approve", auth.ActNCUDecide, s.queueDecide("approve"))
	s.handle("POST", "/federation/queue/{id}/reject", auth.ActNCUDecide, s.queueDecide("reject"))
	s.handle("POST", "/federation/queue/{id}/route", auth.ActNCUDecide, s.queueDecide("route"))
	s.handle("GET", "/federation/queue/{id}", auth.ActNCUQueue, s.queueItemPage)
	s.handle("POST", "/federation/queue/{id}/reroute", auth.ActNCUDecide, s.queueReroute)
	s.handle("GET", "/federation/notices", auth.ActNoticeRead, s.noticesPage)
	s.handle("POST", "/federation/notices", auth.ActNoticeSend, s.noticeSend)

	tags := []string{"Federation"}
	register(s, huma.Operation{OperationID: "list-peers", Method: http.MethodGet, Path: "/api/v1/federation/peers", Summary: "Peers with delivery status (last contact, backlog, failures)", Tags: tags},
		auth.ActFederationView, func(ctx context.Context, _ *emptyInput) (*Body[[]federation.Peer], error) {
			ps, err := f.Peers(ctx)
			if ps == nil {
				ps = []federation.Peer{}
			}
			return &Body[[]federation.Peer]{ps}, err
		})
	register(s, huma.Operation{OperationID: "add-peer", Method: http.MethodPost, Path: "/api/v1/federation/peers", Summary: "Register or update a peer", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest}},
		auth.ActPeerManage, func(ctx context.Context, in *peerInput) (*struct{}, error) {
			return &struct{}{}, f.AddPeer(ctx, PrincipalFrom(ctx), federation.Peer{ID: in.Body.ID, Name: in.Body.Name, URL: in.Body.URL, PublicKey: in.Body.PublicKey, CertSHA256: in.Body.CertSHA256})
		})
	for _, suspend := range []bool{true, false} {
		verb := "resume"
		if suspend {
			verb = "suspend"
		}
		register(s, huma.Operation{OperationID: verb + "-peer", Method: http.MethodPost, Path: "/api/v1/federation/peers/{id}/" + verb, Summary: strings.ToUpper(verb[:1]) + verb[1:] + " exchange with a peer", Tags: tags,
			DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}},
			auth.ActPeerManage, func(ctx context.Context, in *idInput) (*struct{}, error) {
				return &struct{}{}, f.SetSuspended(ctx, PrincipalFrom(ctx), in.ID, suspend)
			})
	}
	register(s, huma.Operation{OperationID: "ping-peer", Method: http.MethodPost, Path: "/api/v1/federation/peers/{id}/ping", Summary: "Send a ping; the peer answers with a pong through its own outbox", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActPeerPing, func(ctx context.Context, in *idInput) (*Body[sentOutput], error) {
			id, err := f.Ping(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[sentOutput]{sentOutput{ID: id}}, err
		})
	register(s, huma.Operation{OperationID: "get-ncu-queue", Method: http.MethodGet, Path: "/api/v1/federation/queue", Summary: "Messages waiting for the national contact unit", Tags: tags},
		auth.ActNCUQueue, func(ctx context.Context, _ *emptyInput) (*Body[[]federation.QueueItem], error) {
			q, err := f.Queue(ctx, PrincipalFrom(ctx))
			if q == nil {
				q = []federation.QueueItem{}
			}
			return &Body[[]federation.QueueItem]{q}, err
		})
	register(s, huma.Operation{OperationID: "get-ncu-queue-item", Method: http.MethodGet, Path: "/api/v1/federation/queue/{id}", Summary: "One message of the NCU queue with its content, entities and markings (and, for incoming messages, the agencies it may be routed to)", Tags: tags,
		Errors: []int{http.StatusNotFound}},
		auth.ActNCUQueue, s.apiQueueItem)
	register(s, huma.Operation{OperationID: "approve-outgoing", Method: http.MethodPost, Path: "/api/v1/federation/queue/{id}/approve", Summary: "Approve an outgoing message", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusConflict}},
		auth.ActNCUDecide, func(ctx context.Context, in *idInput) (*struct{}, error) {
			return &struct{}{}, f.Approve(ctx, PrincipalFrom(ctx), in.ID)
		})
	register(s, huma.Operation{OperationID: "reject-outgoing", Method: http.MethodPost, Path: "/api/v1/federation/queue/{id}/reject", Summary: "Reject an outgoing message with a reason", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActNCUDecide, func(ctx context.Context, in *reasonInput) (*struct{}, error) {
			return &struct{}{}, f.Reject(ctx, PrincipalFrom(ctx), in.ID, in.Body.Reason)
		})
	register(s, huma.Operation{OperationID: "route-incoming", Method: http.MethodPost, Path: "/api/v1/federation/queue/{id}/route", Summary: "Route an incoming message to a national agency", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActNCUDecide, s.apiRoute(false))
	register(s, huma.Operation{OperationID: "reroute-incoming", Method: http.MethodPost, Path: "/api/v1/federation/queue/{id}/reroute", Summary: "Route an already routed incoming message to another national agency", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActNCUDecide, s.apiRoute(true))
	register(s, huma.Operation{OperationID: "send-notice", Method: http.MethodPost, Path: "/api/v1/federation/notices", Summary: "Send a notice to another country's NCU (waits for NCU approval)", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusBadRequest}},
		auth.ActNoticeSend, func(ctx context.Context, in *noticeInput) (*Body[sentOutput], error) {
			id, err := f.SendNotice(ctx, PrincipalFrom(ctx), in.Body.To, in.Body.Subject, in.Body.Text)
			return &Body[sentOutput]{sentOutput{ID: id}}, err
		})
	register(s, huma.Operation{OperationID: "list-notices", Method: http.MethodGet, Path: "/api/v1/federation/notices", Summary: "Notices received and routed to your agency", Tags: tags},
		auth.ActNoticeRead, func(ctx context.Context, _ *emptyInput) (*Body[[]federation.ReceivedNotice], error) {
			ns, err := f.Notices(ctx, PrincipalFrom(ctx))
			if ns == nil {
				ns = []federation.ReceivedNotice{}
			}
			return &Body[[]federation.ReceivedNotice]{ns}, err
		})
	register(s, huma.Operation{OperationID: "get-outgoing", Method: http.MethodGet, Path: "/api/v1/federation/outbox/{id}", Summary: "Status of one outgoing message", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActOutboxStatusView, func(ctx context.Context, in *idInput) (*Body[federation.OutboxEntry], error) {
			e, err := f.OutboxFor(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[federation.OutboxEntry]{e}, err
		})
}

type peerInput struct {
	Body struct {
		ID         string `json:"id" minLength:"2" maxLength:"32" doc:"node ID, e.g. rs, xk, selec"`
		Name       string `json:"name,omitempty" maxLength:"200"`
		URL        string `json:"url" maxLength:"500" doc:"federation URL of the peer, https://…"`
		PublicKey  string `json:"public_key" maxLength:"100" doc:"peer's Ed25519 public key (base64)"`
		CertSHA256 string `json:"tls_cert_sha256,omitempty" maxLength:"100" doc:"SHA-256 fingerprint of the peer's federation certificate"`
	}
}

type sentOutput struct {
	ID string `json:"id" doc:"envelope ID; follow it at /api/v1/federation/outbox/{id}"`
}

type reasonInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"1000"`
	}
}

type routeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Agency string `json:"agency" minLength:"1" maxLength:"100" doc:"national agency code, one of the node's agencies in the directory (see targets of GET /api/v1/federation/queue/{id})"`
	}
}

type noticeInput struct {
	Body struct {
		To      string `json:"to" minLength:"2" maxLength:"32"`
		Subject string `json:"subject" minLength:"1" maxLength:"200"`
		Text    string `json:"text" minLength:"1" maxLength:"20000"`
	}
}

func (s *Server) renderFederation(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	peers, err := s.d.Federation.Peers(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	queues, err := s.queueHealth(r.Context())
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "federation", "fed.title", "nav.federation", map[string]any{
		"Peers": peers, "NodeID": s.d.Node.ID, "PublicKey": s.d.Node.PublicString(), "CanManage": auth.Can(PrincipalFrom(r.Context()), auth.ActPeerManage),
		"Queues": queues,
	}, flash, errMsg)
}

func (s *Server) federationPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if r.URL.Query().Get("ok") != "" {
		flash = s.d.Catalog.T(s.lang(r), "fed.ok."+r.URL.Query().Get("ok"))
	}
	s.renderFederation(w, r, http.StatusOK, flash, "")
}

func (s *Server) peerAdd(w http.ResponseWriter, r *http.Request) {
	err := s.d.Federation.AddPeer(r.Context(), PrincipalFrom(r.Context()), federation.Peer{ID: r.PostFormValue("id"), Name: r.PostFormValue("name"),
		URL: r.PostFormValue("url"), PublicKey: r.PostFormValue("public_key"), CertSHA256: r.PostFormValue("cert")})
	if err != nil {
		s.failForm(w, r, "/federation", "peer", err)
		return
	}
	http.Redirect(w, r, "/federation?ok=peer", http.StatusSeeOther)
}

func (s *Server) peerSuspend(suspend bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := s.d.Federation.SetSuspended(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), suspend); err != nil {
			s.uiError(w, r, err)
			return
		}
		http.Redirect(w, r, "/federation", http.StatusSeeOther)
	}
}

func (s *Server) peerPing(w http.ResponseWriter, r *http.Request) {
	if _, err := s.d.Federation.Ping(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id")); err != nil {
		s.failForm(w, r, "/federation", "ping", err)
		return
	}
	http.Redirect(w, r, "/federation?ok=ping", http.StatusSeeOther)
}

func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	q, err := s.d.Federation.Queue(r.Context(), PrincipalFrom(r.Context()))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	out, in := 0, 0
	for _, it := range q {
		if it.Direction == "outgoing" {
			out++
		} else {
			in++
		}
	}
	routed, err := s.d.Federation.Routed(r.Context(), 20)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "queue", "ncu.title", "nav.ncu", map[string]any{"Items": q, "Outgoing": out, "Incoming": in, "Routed": routed}, flash, errMsg)
}

func (s *Server) queuePage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "ncu.ok."+ok)
	}
	s.renderQueue(w, r, http.StatusOK, flash, "")
}

func (s *Server) queueDecide(decision string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, p, id := r.Context(), PrincipalFrom(r.Context()), r.PathValue("id")
		var err error
		switch decision {
		case "approve":
			err = s.d.Federation.Approve(ctx, p, id)
		case "reject":
			if err = needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err == nil {
				err = s.d.Federation.Reject(ctx, p, id, r.PostFormValue("reason"))
			}
		case "route":
			var agency string
			if agency, err = s.checkRouteTarget(ctx, r.PostFormValue("agency")); err == nil {
				err = s.d.Federation.Route(ctx, p, id, agency)
			}
		}
		if err != nil {
			// Back to the message, with what was chosen and why it failed.
			s.failForm(w, r, "/federation/queue/"+url.PathEscape(id), decision, err)
			return
		}
		http.Redirect(w, r, "/federation/queue?ok="+decision, http.StatusSeeOther)
	}
}

func (s *Server) renderNotices(w http.ResponseWriter, r *http.Request, status int, form map[string]string, flash, errMsg string) {
	ctx := r.Context()
	ns, err := s.d.Federation.Notices(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	peers, err := s.d.Federation.Peers(ctx)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "notices", "notice.title", "nav.notices", map[string]any{"Notices": ns, "Peers": peers, "Form": form,
		"CanSend": auth.Can(PrincipalFrom(ctx), auth.ActNoticeSend)}, flash, errMsg)
}

func (s *Server) noticesPage(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if r.URL.Query().Get("ok") != "" {
		flash = s.d.Catalog.T(s.lang(r), "notice.queued")
	}
	var form map[string]string
	if f := s.failedForm(r); f.Is("notice") {
		form = f.Map()
	}
	s.renderNotices(w, r, http.StatusOK, form, flash, "")
}

func (s *Server) noticeSend(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{"to": r.PostFormValue("to"), "subject": r.PostFormValue("subject"), "text": r.PostFormValue("text")}
	if _, err := s.d.Federation.SendNotice(r.Context(), PrincipalFrom(r.Context()), form["to"], form["subject"], form["text"]); err != nil {
		s.failForm(w, r, "/federation/notices", "notice", err)
		return
	}
	http.Redirect(w, r, "/federation/notices?ok=1", http.StatusSeeOther)
}
