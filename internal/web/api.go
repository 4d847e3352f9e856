package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
)

// register adds one JSON operation guarded by action. Domain errors are
// converted to problem documents here, once.
func register[I, O any](s *Server, op huma.Operation, action auth.Action, h func(context.Context, *I) (*O, error)) {
	if op.Metadata == nil {
		op.Metadata = map[string]any{}
	}
	op.Metadata["action"] = action
	if op.MaxBodyBytes == 0 {
		op.MaxBodyBytes = s.d.MaxBodyBytes
	}
	if r, ok := policyDoc(action); ok {
		op.Description = strings.TrimSpace(op.Description + "\n\n" + r)
	}
	if isPublicAction(action) {
		op.Security = []map[string][]string{}
	}
	op.Errors = append(op.Errors, http.StatusUnauthorized, http.StatusForbidden)
	s.routes = append(s.routes, Route{Method: op.Method, Pattern: op.Path, Action: action, API: true})
	// The body limit middleware applies the operation's own limit (huma
	// registers it on the mux as "METHOD /path").
	s.bodyLimits[strings.ToUpper(op.Method)+" "+op.Path] = op.MaxBodyBytes
	path := op.Path
	huma.Register(s.api, op, func(ctx context.Context, in *I) (*O, error) {
		out, err := h(ctx, in)
		if err != nil {
			return nil, problemFor(s.d.Logger, err, path)
		}
		return out, nil
	})
}

func isPublicAction(a auth.Action) bool { return auth.Authorize(nil, a) == nil }

// policyDoc states in the API document who may call an operation, read from
// the policy itself so the two never disagree.
func policyDoc(a auth.Action) (string, bool) {
	if isPublicAction(a) {
		return "Access: public.", true
	}
	var roles []string
	for _, r := range auth.AllRoles {
		if auth.Can(&auth.Principal{Roles: []auth.Role{r}}, a) {
			roles = append(roles, string(r))
		}
	}
	if len(roles) == len(auth.AllRoles) {
		return "Access: any authenticated user.", true
	}
	return "Access: roles " + strings.Join(roles, ", ") + ".", true
}

// Body is a generic JSON response wrapper.
type Body[T any] struct {
	Body T
}

type emptyInput struct{}

// MeOutput describes the caller.
type MeOutput struct {
	Username    string      `json:"username"`
	DisplayName string      `json:"display_name"`
	Agency      string      `json:"agency"`
	Roles       []auth.Role `json:"roles"`
	Node        string      `json:"node"`
}

// NodeInfo is public information about this node.
type NodeInfo struct {
	NodeID    string `json:"node_id"`
	Name      string `json:"name"`
	PublicKey string `json:"public_key" doc:"Ed25519 public key (base64) that signs audit checkpoints and federation envelopes"`
	Version   string `json:"version"`
}

type userCreateInput struct {
	Body struct {
		Username    string   `json:"username" minLength:"3" maxLength:"64" doc:"lower-case login name"`
		DisplayName string   `json:"display_name" minLength:"1" maxLength:"200"`
		Agency      string   `json:"agency" minLength:"1" maxLength:"100" doc:"agency code, e.g. rs-mup"`
		Roles       []string `json:"roles" minItems:"1" doc:"admin, ncu_operator, officer, analyst, prosecutor, partner, auditor"`
		Email       string   `json:"email,omitempty" maxLength:"200"`
		Password    string   `json:"password" minLength:"12" maxLength:"1024" doc:"initial password; the user must change it at first login"`
	}
}

type usernameInput struct {
	Username string `path:"username" maxLength:"64"`
}

type tokenCreateInput struct {
	Body struct {
		Name   string   `json:"name" minLength:"1" maxLength:"100"`
		Scopes []string `json:"scopes,omitempty" maxItems:"50" doc:"read (GET only; the default), all (every module action your roles allow), an action name such as exchange.message.send, or a prefix such as exchange.*. Tokens never manage accounts, tokens, passwords or second factors."`
	}
}

// TokenCreated carries the secret once.
type TokenCreated struct {
	Token  auth.APIToken `json:"token"`
	Secret string        `json:"secret" doc:"send as Authorization: Bearer <secret>; shown only once"`
}

type idInput struct {
	ID string `path:"id" maxLength:"64"`
}

type auditListInput struct {
	Actor   string `query:"actor" maxLength:"200"`
	Action  string `query:"action" maxLength:"200"`
	Object  string `query:"object" maxLength:"500"`
	Before  int64  `query:"before" minimum:"0" doc:"only entries with a smaller index (paging)"`
	Limit   int    `query:"limit" minimum:"0" maximum:"500" default:"100"`
	Purpose string `query:"purpose" maxLength:"500" doc:"why the log is being read; recorded in the log itself"`
}

type proofInput struct {
	Index    int64 `path:"index" minimum:"0"`
	TreeSize int64 `query:"tree_size" minimum:"0" doc:"tree size to prove against; 0 for the latest checkpoint"`
}

// ProofOutput is an inclusion proof with the checkpoint it refers to.
type ProofOutput struct {
	Proof      audit.InclusionProof `json:"proof"`
	Checkpoint *audit.Checkpoint    `json:"checkpoint,omitempty"`
	Entry      *audit.Entry         `json:"entry,omitempty"`
}

func (s *Server) registerAPI() {
	register(s, huma.Operation{OperationID: "get-node", Method: http.MethodGet, Path: "/api/v1/node", Summary: "This node's identity", Tags: []string{"Node"}},
		auth.ActNodeInfo, func(ctx context.Context, _ *emptyInput) (*Body[NodeInfo], error) {
			return &Body[NodeInfo]{NodeInfo{NodeID: s.d.Node.ID, Name: s.d.Node.Name, PublicKey: s.d.Node.PublicString(), Version: s.d.Version}}, nil
		})
	register(s, huma.Operation{OperationID: "get-me", Method: http.MethodGet, Path: "/api/v1/me", Summary: "The authenticated user", Tags: []string{"Accounts"}},
		auth.ActMe, func(ctx context.Context, _ *emptyInput) (*Body[MeOutput], error) {
			p := PrincipalFrom(ctx)
			return &Body[MeOutput]{MeOutput{Username: p.Username, DisplayName: p.DisplayName, Agency: p.Agency, Roles: p.Roles, Node: s.d.Node.ID}}, nil
		})
	register(s, huma.Operation{OperationID: "list-users", Method: http.MethodGet, Path: "/api/v1/users", Summary: "List user accounts", Tags: []string{"Accounts"}},
		auth.ActUserList, func(ctx context.Context, _ *emptyInput) (*Body[[]auth.User], error) {
			us, err := s.d.Auth.ListUsers(ctx, PrincipalFrom(ctx))
			if us == nil {
				us = []auth.User{}
			}
			return &Body[[]auth.User]{us}, err
		})
	register(s, huma.Operation{OperationID: "create-user", Method: http.MethodPost, Path: "/api/v1/users", Summary: "Create a user account", Tags: []string{"Accounts"},
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActUserCreate, func(ctx context.Context, in *userCreateInput) (*Body[auth.User], error) {
			roles, err := auth.ParseRoles(strings.Join(in.Body.Roles, ","))
			if err != nil {
				return nil, err
			}
			u, err := s.d.Auth.CreateUser(ctx, PrincipalFrom(ctx), auth.NewUser{Username: in.Body.Username, DisplayName: in.Body.DisplayName,
				Agency: in.Body.Agency, Roles: roles, Email: in.Body.Email, Password: in.Body.Password, MustChangePassword: true})
			return &Body[auth.User]{u}, err
		})
	for _, disabled := range []bool{true, false} {
		verb, id := "enable", "enable-user"
		if disabled {
			verb, id = "disable", "disable-user"
		}
		register(s, huma.Operation{OperationID: id, Method: http.MethodPost, Path: "/api/v1/users/{username}/" + verb, Summary: strings.ToUpper(verb[:1]) + verb[1:] + " a user account",
			Tags: []string{"Accounts"}, DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict}},
			auth.ActUserDisable, func(ctx context.Context, in *usernameInput) (*struct{}, error) {
				return &struct{}{}, s.d.Auth.SetDisabled(ctx, PrincipalFrom(ctx), in.Username, disabled)
			})
	}
	register(s, huma.Operation{OperationID: "list-tokens", Method: http.MethodGet, Path: "/api/v1/tokens", Summary: "List your API tokens", Tags: []string{"Accounts"}},
		auth.ActTokenList, func(ctx context.Context, _ *emptyInput) (*Body[[]auth.APIToken], error) {
			ts, err := s.d.Auth.ListTokens(ctx, PrincipalFrom(ctx))
			if ts == nil {
				ts = []auth.APIToken{}
			}
			return &Body[[]auth.APIToken]{ts}, err
		})
	register(s, huma.Operation{OperationID: "create-token", Method: http.MethodPost, Path: "/api/v1/tokens", Summary: "Create an API token", Tags: []string{"Accounts"},
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActTokenCreate, func(ctx context.Context, in *tokenCreateInput) (*Body[TokenCreated], error) {
			t, secret, err := s.d.Auth.CreateToken(ctx, PrincipalFrom(ctx), in.Body.Name, in.Body.Scopes)
			return &Body[TokenCreated]{TokenCreated{Token: t, Secret: secret}}, err
		})
	register(s, huma.Operation{OperationID: "revoke-token", Method: http.MethodDelete, Path: "/api/v1/tokens/{id}", Summary: "Revoke one of your API tokens", Tags: []string{"Accounts"},
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}},
		auth.ActTokenRevoke, func(ctx context.Context, in *idInput) (*struct{}, error) {
			return &struct{}{}, s.d.Auth.RevokeToken(ctx, PrincipalFrom(ctx), in.ID)
		})
	register(s, huma.Operation{OperationID: "list-audit-entries", Method: http.MethodGet, Path: "/api/v1/audit/entries", Summary: "List audit log entries, newest first", Tags: []string{"Audit"}},
		auth.ActAuditList, func(ctx context.Context, in *auditListInput) (*Body[[]audit.Entry], error) {
			p := PrincipalFrom(ctx)
			es, err := audit.List(ctx, s.d.Store, audit.Filter{Actor: in.Actor, Action: in.Action, Object: in.Object, Before: in.Before, Limit: in.Limit})
			if err != nil {
				return nil, err
			}
			if err := s.d.Audit.Record(ctx, audit.Entry{Actor: p.Username, Agency: p.Agency, Action: "audit.list", Object: "audit", Purpose: in.Purpose,
				Detail: "actor=" + in.Actor + " action=" + in.Action + " object=" + in.Object}); err != nil {
				return nil, err
			}
			if es == nil {
				es = []audit.Entry{}
			}
			return &Body[[]audit.Entry]{es}, nil
		})
	register(s, huma.Operation{OperationID: "get-audit-checkpoint", Method: http.MethodGet, Path: "/api/v1/audit/checkpoint", Summary: "Latest signed checkpoint of the audit log",
		Description: "Signs a new checkpoint if entries were added since the last. Verify the signature over `SignedText` with the node's public key from /api/v1/node.", Tags: []string{"Audit"}},
		auth.ActAuditCheckpoint, func(ctx context.Context, _ *emptyInput) (*Body[audit.Checkpoint], error) {
			cp, err := s.d.Audit.Checkpoint(ctx)
			return &Body[audit.Checkpoint]{cp}, err
		})
	register(s, huma.Operation{OperationID: "get-audit-inclusion-proof", Method: http.MethodGet, Path: "/api/v1/audit/entries/{index}/proof",
		Summary: "RFC 6962 inclusion proof for one audit entry", Tags: []string{"Audit"}, Errors: []int{http.StatusNotFound}},
		auth.ActAuditProof, func(ctx context.Context, in *proofInput) (*Body[ProofOutput], error) {
			pr, err := s.d.Audit.ProveInclusion(ctx, in.Index, in.TreeSize)
			if err != nil {
				return nil, err
			}
			out := ProofOutput{Proof: pr}
			if in.TreeSize == 0 {
				if cp, err := audit.LatestCheckpoint(ctx, s.d.Store); err == nil {
					out.Checkpoint = &cp
				}
			}
			return &Body[ProofOutput]{out}, nil
		})
}
