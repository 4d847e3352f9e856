package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/jit"
)

type jitListInput struct {
	Kind string `query:"kind" enum:"jit,parallel," doc:"only JITs or only parallel investigations"`
}

type jitMemberInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body jit.MemberInput
}

type jitExtendInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		EndDate string `json:"end_date" maxLength:"10" doc:"new end date YYYY-MM-DD"`
		Reason  string `json:"reason" maxLength:"1000"`
	}
}

type jitTaskInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body jit.TaskInput
}

type jitTaskStatusInput struct {
	ID   string `path:"id" maxLength:"64"`
	Task string `path:"task" maxLength:"64"`
	Body struct {
		Status string `json:"status" enum:"open,in_progress,done"`
	}
}

type jitMessageInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Body string `json:"body" maxLength:"10000"`
	}
}

type jitEvidenceInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body jit.EvidenceInput
}

type jitEvidenceRef struct {
	ID       string `path:"id" maxLength:"64"`
	Evidence string `path:"evidence" maxLength:"64"`
}

type jitTransferInput struct {
	ID       string `path:"id" maxLength:"64"`
	Evidence string `path:"evidence" maxLength:"64"`
	Body     struct {
		To   string `json:"to" maxLength:"32" doc:"party node receiving custody"`
		Note string `json:"note,omitempty" maxLength:"1000"`
	}
}

type jitCaseInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		CaseRef string `json:"case_ref" maxLength:"100" doc:"reference of a case in this node's case database"`
		Note    string `json:"note,omitempty" maxLength:"1000"`
	}
}

type jitTargetInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body jit.TargetInput
}

type jitExchangeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body jit.ExchangeInput
}

// registerJIT adds the JIT and parallel-investigation pages and API.
func (s *Server) registerJIT() {
	if s.d.JIT == nil {
		return
	}
	j := s.d.JIT
	tags := []string{"Joint investigations"}
	p := func(ctx context.Context) *auth.Principal { return PrincipalFrom(ctx) }
	ev := func(e jit.TimelineEvent, err error) (*Body[jit.TimelineEvent], error) {
		return &Body[jit.TimelineEvent]{e}, err
	}
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}

	register(s, huma.Operation{OperationID: "list-jits", Method: http.MethodGet, Path: "/api/v1/jit",
		Summary: "JITs and parallel investigations you are a member of", Tags: tags},
		auth.ActJITView, func(ctx context.Context, in *jitListInput) (*Body[[]jit.WorkspaceSummary], error) {
			l, err := j.List(ctx, p(ctx), in.Kind)
			return &Body[[]jit.WorkspaceSummary]{l}, err
		})
	register(s, huma.Operation{OperationID: "jit-templates", Method: http.MethodGet, Path: "/api/v1/jit-templates",
		Summary: "Template agreements a JIT can be created from", Tags: tags},
		auth.ActJITView, func(ctx context.Context, _ *emptyInput) (*Body[[]jit.Template], error) {
			return &Body[[]jit.Template]{jit.Templates}, nil
		})
	register(s, huma.Operation{OperationID: "create-jit", Method: http.MethodPost, Path: "/api/v1/jit",
		Summary: "Create a JIT from a template agreement; this node becomes its leader node and replicates it to every party", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: bad},
		auth.ActJITCreate, func(ctx context.Context, in *Body[jit.CreateInput]) (*Body[jit.Workspace], error) {
			in.Body.Kind = jit.KindJIT
			w, err := j.Create(ctx, p(ctx), in.Body)
			return &Body[jit.Workspace]{w}, err
		})
	register(s, huma.Operation{OperationID: "create-parallel", Method: http.MethodPost, Path: "/api/v1/parallel",
		Summary: "Link national cases of several countries as a coordinated parallel investigation (no JIT agreement)", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: bad},
		auth.ActParallelCreate, func(ctx context.Context, in *Body[jit.CreateInput]) (*Body[jit.Workspace], error) {
			in.Body.Kind = jit.KindParallel
			w, err := j.Create(ctx, p(ctx), in.Body)
			return &Body[jit.Workspace]{w}, err
		})
	register(s, huma.Operation{OperationID: "get-jit", Method: http.MethodGet, Path: "/api/v1/jit/{id}",
		Summary: "A workspace as this node holds it: agreement, members, plan, messages, evidence register with chain of custody, cases, targets, warnings, exchange plan", Tags: tags, Errors: bad},
		auth.ActJITView, func(ctx context.Context, in *idInput) (*Body[jit.Workspace], error) {
			w, err := j.Get(ctx, p(ctx), in.ID)
			return &Body[jit.Workspace]{w}, err
		})
	register(s, huma.Operation{OperationID: "jit-timeline", Method: http.MethodGet, Path: "/api/v1/jit/{id}/timeline",
		Summary: "Every change of a workspace in the leader's order, newest first", Tags: tags, Errors: bad},
		auth.ActJITView, func(ctx context.Context, in *idInput) (*Body[[]jit.TimelineEvent], error) {
			e, err := j.Timeline(ctx, p(ctx), in.ID)
			return &Body[[]jit.TimelineEvent]{e}, err
		})
	register(s, huma.Operation{OperationID: "jit-add-member", Method: http.MethodPost, Path: "/api/v1/jit/{id}/members",
		Summary: "Invite a member, possibly from another node (JIT leader only); a new party receives the whole workspace", Tags: tags, Errors: bad},
		auth.ActJITManage, func(ctx context.Context, in *jitMemberInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.AddMember(ctx, p(ctx), in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "jit-extend", Method: http.MethodPost, Path: "/api/v1/jit/{id}/extend",
		Summary: "Extend the JIT's duration (JIT leader only)", Tags: tags, Errors: bad},
		auth.ActJITManage, func(ctx context.Context, in *jitExtendInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.Extend(ctx, p(ctx), in.ID, in.Body.EndDate, in.Body.Reason))
		})
	register(s, huma.Operation{OperationID: "jit-add-task", Method: http.MethodPost, Path: "/api/v1/jit/{id}/tasks",
		Summary: "Add a task to the operational action plan (the plan returns to draft)", Tags: tags, Errors: bad},
		auth.ActJITEdit, func(ctx context.Context, in *jitTaskInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.AddTask(ctx, p(ctx), in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "jit-task-status", Method: http.MethodPost, Path: "/api/v1/jit/{id}/tasks/{task}/status",
		Summary: "Move a task (its owner or the leader)", Tags: tags, Errors: bad},
		auth.ActJITEdit, func(ctx context.Context, in *jitTaskStatusInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.SetTaskStatus(ctx, p(ctx), in.ID, in.Task, in.Body.Status))
		})
	register(s, huma.Operation{OperationID: "jit-approve-plan", Method: http.MethodPost, Path: "/api/v1/jit/{id}/plan/approve",
		Summary: "Approve the action plan (JIT leader only)", Tags: tags, Errors: bad},
		auth.ActJITApprove, func(ctx context.Context, in *idInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.ApprovePlan(ctx, p(ctx), in.ID))
		})
	register(s, huma.Operation{OperationID: "jit-post-message", Method: http.MethodPost, Path: "/api/v1/jit/{id}/messages",
		Summary: "Post on the team's message channel", Tags: tags, Errors: bad},
		auth.ActJITEdit, func(ctx context.Context, in *jitMessageInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.PostMessage(ctx, p(ctx), in.ID, in.Body.Body))
		})
	register(s, huma.Operation{OperationID: "jit-register-evidence", Method: http.MethodPost, Path: "/api/v1/jit/{id}/evidence",
		Summary: "Register an item of evidence, with a file (encrypted at rest, size-limited) or the SHA-256 of an item held elsewhere", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: append(bad, http.StatusRequestEntityTooLarge)},
		auth.ActJITEvidence, func(ctx context.Context, in *jitEvidenceInput) (*Body[jit.Evidence], error) {
			e, err := j.RegisterEvidence(ctx, p(ctx), in.ID, in.Body)
			return &Body[jit.Evidence]{e}, err
		})
	register(s, huma.Operation{OperationID: "jit-transfer-evidence", Method: http.MethodPost, Path: "/api/v1/jit/{id}/evidence/{evidence}/transfer",
		Summary: "Hand custody of an item to another party; its file goes to that party's transfer area", Tags: tags, Errors: bad},
		auth.ActJITEvidence, func(ctx context.Context, in *jitTransferInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.TransferEvidence(ctx, p(ctx), in.ID, in.Evidence, in.Body.To, in.Body.Note))
		})
	register(s, huma.Operation{OperationID: "jit-authorise-evidence", Method: http.MethodPost, Path: "/api/v1/jit/{id}/evidence/{evidence}/authorise",
		Summary: "Authorise the use of an item in proceedings (a prosecutor of the party whose law governs it)", Tags: tags, Errors: bad},
		auth.ActJITAuthorise, func(ctx context.Context, in *jitEvidenceRef) (*Body[jit.TimelineEvent], error) {
			return ev(j.AuthoriseUse(ctx, p(ctx), in.ID, in.Evidence))
		})
	register(s, huma.Operation{OperationID: "jit-evidence-file", Method: http.MethodGet, Path: "/api/v1/jit/{id}/evidence/{evidence}/file",
		Summary: "Download an item's file held by this node (recorded in the chain of custody; a file in the transfer area is purged after download)", Tags: tags, Errors: bad},
		auth.ActJITEvidence, func(ctx context.Context, in *jitEvidenceRef) (*Body[evidenceFileOutput], error) {
			f, err := j.Download(ctx, p(ctx), in.ID, in.Evidence)
			return &Body[evidenceFileOutput]{evidenceFileOutput{Name: f.Name, ContentType: f.ContentType, SHA256: f.SHA256, Data: f.Data, Purged: f.Purged}}, err
		})
	register(s, huma.Operation{OperationID: "jit-verify-custody", Method: http.MethodGet, Path: "/api/v1/jit/{id}/custody/verify",
		Summary: "Recompute the hash chain of custody of every item", Tags: tags, Errors: bad},
		auth.ActJITView, func(ctx context.Context, in *idInput) (*Body[[]jit.ChainCheck], error) {
			c, err := j.VerifyCustody(ctx, p(ctx), in.ID)
			return &Body[[]jit.ChainCheck]{c}, err
		})
	register(s, huma.Operation{OperationID: "jit-link-case", Method: http.MethodPost, Path: "/api/v1/jit/{id}/cases",
		Summary: "Link a national case of this node", Tags: tags, Errors: bad},
		auth.ActParallelEdit, func(ctx context.Context, in *jitCaseInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.LinkCase(ctx, p(ctx), in.ID, in.Body.CaseRef, in.Body.Note))
		})
	register(s, huma.Operation{OperationID: "jit-add-target", Method: http.MethodPost, Path: "/api/v1/jit/{id}/targets",
		Summary: "Declare a person or location your party targets; the leader warns every party when another party targets the same", Tags: tags, Errors: bad},
		auth.ActParallelEdit, func(ctx context.Context, in *jitTargetInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.AddTarget(ctx, p(ctx), in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "jit-add-exchange", Method: http.MethodPost, Path: "/api/v1/jit/{id}/exchange-plan",
		Summary: "Add a line to the exchange plan (every party agrees again)", Tags: tags, Errors: bad},
		auth.ActParallelEdit, func(ctx context.Context, in *jitExchangeInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.AddExchange(ctx, p(ctx), in.ID, in.Body))
		})
	register(s, huma.Operation{OperationID: "jit-agree-exchange", Method: http.MethodPost, Path: "/api/v1/jit/{id}/exchange-plan/agree",
		Summary: "Agree the exchange plan for your party (a prosecutor or the leader)", Tags: tags, Errors: bad},
		auth.ActParallelEdit, func(ctx context.Context, in *idInput) (*Body[jit.TimelineEvent], error) {
			return ev(j.AgreeExchange(ctx, p(ctx), in.ID))
		})

	s.handle("GET", "/jit", auth.ActJITView, s.jitList)
	s.handle("GET", "/jit/new", auth.ActJITCreate, s.jitNew)
	s.handle("POST", "/jit", auth.ActJITCreate, s.jitCreate)
	s.handle("GET", "/jit/parallel/new", auth.ActParallelCreate, s.jitNew)
	s.handle("POST", "/jit/parallel", auth.ActParallelCreate, s.jitCreate)
	s.handle("GET", "/jit/w/{id}", auth.ActJITView, s.jitWorkspace)
	s.handle("GET", "/jit/w/{id}/report", auth.ActJITView, s.jitReport)
	s.handle("POST", "/jit/w/{id}/members", auth.ActJITManage, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		ms, err := jit.ParseMemberLines(r.PostFormValue("members"))
		if err != nil {
			return err
		}
		if len(ms) == 0 {
			return errs.New(errs.Invalid, "jit.AddMember", "write the member as username@node, role, agency, name")
		}
		for _, m := range ms {
			if _, err := j.AddMember(ctx, p, id, m); err != nil {
				return err
			}
		}
		return nil
	}, "members"))
	s.handle("POST", "/jit/w/{id}/extend", auth.ActJITManage, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.Extend(ctx, p, id, r.PostFormValue("end_date"), r.PostFormValue("reason"))
		return err
	}, "agreement"))
	s.handle("POST", "/jit/w/{id}/tasks", auth.ActJITEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.AddTask(ctx, p, id, jit.TaskInput{Title: r.PostFormValue("title"), Owner: r.PostFormValue("owner"), DueDate: r.PostFormValue("due_date"), Description: r.PostFormValue("description")})
		return err
	}, "tasks"))
	s.handle("POST", "/jit/w/{id}/tasks/{task}/status", auth.ActJITEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.SetTaskStatus(ctx, p, id, r.PathValue("task"), r.PostFormValue("status"))
		return err
	}, "tasks"))
	s.handle("POST", "/jit/w/{id}/plan/approve", auth.ActJITApprove, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.ApprovePlan(ctx, p, id)
		return err
	}, "tasks"))
	s.handle("POST", "/jit/w/{id}/messages", auth.ActJITEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.PostMessage(ctx, p, id, r.PostFormValue("body"))
		return err
	}, "messages"))
	s.handle("POST", "/jit/w/{id}/evidence", auth.ActJITEvidence, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		in := jit.EvidenceInput{Title: r.PostFormValue("title"), Description: r.PostFormValue("description"), Origin: r.PostFormValue("origin"),
			CollectingParty: r.PostFormValue("collecting_party"), LegalBasis: r.PostFormValue("legal_basis"), GoverningLaw: r.PostFormValue("governing_law"), SHA256: r.PostFormValue("sha256")}
		if r.MultipartForm != nil {
			if fhs := r.MultipartForm.File["file"]; len(fhs) > 0 && fhs[0].Filename != "" {
				f, err := fhs[0].Open()
				if err != nil {
					return errs.Wrap(errs.Invalid, "web.upload", "could not read the file", err)
				}
				defer f.Close()
				b, err := io.ReadAll(io.LimitReader(f, j.Config().MaxFileBytes+1))
				if err != nil {
					return errs.Wrap(errs.Invalid, "web.upload", "could not read the file", err)
				}
				in.Data, in.FileName, in.ContentType = b, fhs[0].Filename, fhs[0].Header.Get("Content-Type")
			}
		}
		_, err := j.RegisterEvidence(ctx, p, id, in)
		return err
	}, "evidence"))
	s.handle("POST", "/jit/w/{id}/evidence/{evidence}/transfer", auth.ActJITEvidence, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.TransferEvidence(ctx, p, id, r.PathValue("evidence"), r.PostFormValue("to"), r.PostFormValue("note"))
		return err
	}, "evidence"))
	s.handle("POST", "/jit/w/{id}/evidence/{evidence}/authorise", auth.ActJITAuthorise, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.AuthoriseUse(ctx, p, id, r.PathValue("evidence"))
		return err
	}, "evidence"))
	s.handle("GET", "/jit/w/{id}/evidence/{evidence}/file", auth.ActJITEvidence, s.jitFile)
	s.handle("POST", "/jit/w/{id}/cases", auth.ActParallelEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.LinkCase(ctx, p, id, r.PostFormValue("case_ref"), r.PostFormValue("note"))
		return err
	}, "cases"))
	s.handle("POST", "/jit/w/{id}/targets", auth.ActParallelEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		kind := r.PostFormValue("kind")
		f := map[string]string{}
		keys := []string{"given_name", "family_name", "date_of_birth", "personal_id"}
		if kind == "location" {
			keys = []string{"address", "city"}
		}
		for _, k := range keys {
			if v := strings.TrimSpace(r.PostFormValue(k)); v != "" {
				f[k] = v
			}
		}
		_, err := j.AddTarget(ctx, p, id, jit.TargetInput{Kind: kind, Fields: f})
		return err
	}, "targets"))
	s.handle("POST", "/jit/w/{id}/exchange", auth.ActParallelEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.AddExchange(ctx, p, id, jit.ExchangeInput{What: r.PostFormValue("what"), From: r.PostFormValue("from"), To: r.PostFormValue("to"),
			Channel: r.PostFormValue("channel"), Schedule: r.PostFormValue("schedule")})
		return err
	}, "exchange"))
	s.handle("POST", "/jit/w/{id}/exchange/agree", auth.ActParallelEdit, s.jitPost(func(ctx context.Context, p *auth.Principal, id string, r *http.Request) error {
		_, err := j.AgreeExchange(ctx, p, id)
		return err
	}, "exchange"))
}

type evidenceFileOutput struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	SHA256      string `json:"sha256"`
	Data        []byte `json:"data" doc:"file content (base64)"`
	Purged      bool   `json:"purged" doc:"the file was in this node's transfer area and has been removed from it"`
}

// jitPost wraps a form action: redirect back to the workspace section, or
// show the workspace with the error.
func (s *Server) jitPost(fn func(context.Context, *auth.Principal, string, *http.Request) error, section string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		_ = r.ParseMultipartForm(s.d.MaxBodyBytes)
		id := r.PathValue("id")
		if err := fn(ctx, PrincipalFrom(ctx), id, r); err != nil {
			s.failForm(w, r, "/jit/w/"+url.PathEscape(id), section, err)
			return
		}
		http.Redirect(w, r, "/jit/w/"+url.PathEscape(id)+"?ok="+section+"#"+section, http.StatusSeeOther)
	}
}

func (s *Server) jitList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	l, err := s.d.JIT.List(ctx, p, "")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var jits, pars []jit.WorkspaceSummary
	for _, x := range l {
		if x.Kind == jit.KindParallel {
			pars = append(pars, x)
		} else {
			jits = append(jits, x)
		}
	}
	s.render(w, r, http.StatusOK, "jit", "jit.title", "nav.jit", map[string]any{"JITs": jits, "Parallel": pars,
		"CanCreate": auth.Can(p, auth.ActJITCreate), "CanParallel": auth.Can(p, auth.ActParallelCreate)}, "", "")
}

func (s *Server) jitFormData(r *http.Request, parallel bool) map[string]any {
	ctx := r.Context()
	var peers []string
	if s.d.Federation != nil {
		if ps, err := s.d.Federation.Peers(ctx); err == nil {
			for _, p := range ps {
				if !p.Suspended {
					peers = append(peers, p.ID)
				}
			}
		}
	}
	me := PrincipalFrom(ctx)
	form := map[string]string{"members": me.Username + "@" + s.d.Node.ID + ", leader, " + me.Agency + ", " + me.DisplayName, "template": "model-2017"}
	return map[string]any{"Templates": jit.Templates, "Peers": peers, "Parallel": parallel, "Form": form, "Roles": jit.MemberRoles, "Node": s.d.Node.ID}
}

func (s *Server) jitNew(w http.ResponseWriter, r *http.Request) {
	parallel := strings.HasPrefix(r.URL.Path, "/jit/parallel")
	title := "jit.new"
	if parallel {
		title = "jit.newparallel"
	}
	data := s.jitFormData(r, parallel)
	if f := s.failedForm(r); f.Is("jit") {
		data["Form"] = f.Map()
	}
	s.render(w, r, http.StatusOK, "jit_new", title, "nav.jit", data, "", "")
}

func (s *Server) jitCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	parallel := strings.HasPrefix(r.URL.Path, "/jit/parallel")
	form := formValues(r, "template", "reference", "title", "purpose", "legal_basis", "start_date", "end_date", "members", "tasks")
	fail := func(err error) {
		page := "/jit/new"
		if parallel {
			page = "/jit/parallel/new"
		}
		s.failForm(w, r, page, "jit", err)
	}
	members, err := jit.ParseMemberLines(form["members"])
	if err != nil {
		fail(err)
		return
	}
	tasks, err := jit.ParseTaskLines(form["tasks"])
	if err != nil {
		fail(err)
		return
	}
	in := jit.CreateInput{Kind: jit.KindJIT, Template: form["template"], Reference: form["reference"], Title: form["title"], Purpose: form["purpose"],
		LegalBasis: form["legal_basis"], StartDate: form["start_date"], EndDate: form["end_date"], Members: members, Tasks: tasks, Parties: r.PostForm["parties"]}
	if parallel {
		in.Kind, in.Template = jit.KindParallel, ""
	}
	ws, err := s.d.JIT.Create(ctx, PrincipalFrom(ctx), in)
	if err != nil {
		fail(err)
		return
	}
	http.Redirect(w, r, "/jit/w/"+url.PathEscape(ws.ID)+"?ok=created", http.StatusSeeOther)
}

func (s *Server) workspaceData(r *http.Request) (map[string]any, error) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	ws, err := s.d.JIT.Get(ctx, p, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	events, err := s.d.JIT.Timeline(ctx, p, ws.ID)
	if err != nil {
		return nil, err
	}
	me := ws.Me
	isLeader := me.Role == jit.RoleLeader
	return map[string]any{"W": ws, "Events": events, "Me": me, "Node": s.d.Node.ID, "IsLeader": isLeader, "Parallel": ws.Kind == jit.KindParallel,
		"CanEvidence":  auth.Can(p, auth.ActJITEvidence) && me.Role != jit.RoleAnalyst && me.Role != jit.RoleObserver,
		"CanAuthorise": auth.Can(p, auth.ActJITAuthorise) && me.Role == jit.RoleProsecutor,
		"CanManage":    auth.Can(p, auth.ActJITManage) && isLeader, "CanEdit": auth.Can(p, auth.ActJITEdit),
		"Statuses": []string{jit.TaskOpen, jit.TaskInProgress, jit.TaskDone}, "Roles": jit.MemberRoles,
		"MaxKiB": s.d.JIT.Config().MaxFileBytes >> 10}, nil
}

func (s *Server) renderWorkspace(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	data, err := s.workspaceData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ws := data["W"].(jit.Workspace)
	s.render(w, r, status, "jit_workspace", "jit.workspace", "nav.jit", data, flash, errMsg)
	_ = ws
}

func (s *Server) jitWorkspace(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "jit.ok."+ok)
	}
	s.renderWorkspace(w, r, http.StatusOK, flash, "")
}

func (s *Server) jitReport(w http.ResponseWriter, r *http.Request) {
	data, err := s.workspaceData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	data["GeneratedAt"] = s.d.Clock.Now()
	s.render(w, r, http.StatusOK, "jit_report", "jit.report", "nav.jit", data, "", "")
}

func (s *Server) jitFile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := s.d.JIT.Download(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.PathValue("evidence"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ct := f.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(f.Name))
	w.Header().Set("X-Content-SHA256", f.SHA256)
	_, _ = w.Write(f.Data)
}
