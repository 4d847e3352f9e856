package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Calls are synchronous, read-only questions from one node to another (for
// example "which checkpoint of my audit log do you hold?"). They travel on
// the federation listener and are authenticated like deliveries: pinned
// client certificate over mutual TLS and a signature by the sender's node
// key over the path, time and body. Anything that changes state goes
// through the outbox instead.

// CallPrefix is where call handlers are mounted.
const CallPrefix = "/federation/v1/call/"

// maxCallBytes bounds a call's request and answer.
const maxCallBytes = 1 << 20

// CallHandler answers one authenticated call from peer.
type CallHandler func(ctx context.Context, peer string, body []byte) (any, error)

func callText(from, to, sentAt, path string, body []byte) []byte {
	return deliveryText(from, to, sentAt, append([]byte("call "+path+"\n"), body...))
}

// ServeCall wraps h as an HTTP handler for the call named name.
func (s *Service) ServeCall(name string, h CallHandler) http.Handler {
	path := CallPrefix + name
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			writeProblem(w, http.StatusMethodNotAllowed, "method-not-allowed", "use POST")
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxCallBytes))
		if err != nil {
			writeProblem(w, http.StatusRequestEntityTooLarge, CodeTooLarge, "call too large")
			return
		}
		var certFP string
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			certFP = Fingerprint(r.TLS.PeerCertificates[0].Raw)
		} else if !s.cfg.Insecure {
			writeProblem(w, http.StatusForbidden, CodeCertMismatch, "this node accepts federation traffic only over mutual TLS")
			return
		}
		from := r.Header.Get(HeaderNode)
		if err := s.authenticate(r.Context(), from, r.Header.Get(HeaderSentAt), r.Header.Get(HeaderSignature), certFP,
			callText(from, s.d.Node.ID, r.Header.Get(HeaderSentAt), path, body)); err != nil {
			writeCallError(w, err)
			return
		}
		out, err := h(r.Context(), from, body)
		if err != nil {
			if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.Unavailable {
				s.d.Logger.Error("federation call failed", "call", name, "peer", from, "err", err)
			}
			writeCallError(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if err := json.NewEncoder(w).Encode(out); err != nil {
			s.d.Logger.Warn("could not send a federation call's answer", "call", name, "peer", from, "err", err)
		}
	})
}

func writeCallError(w http.ResponseWriter, err error) {
	status, code, msg := http.StatusServiceUnavailable, "unavailable", "temporarily unavailable"
	var e *errs.E
	if errors.As(err, &e) {
		code, msg = errs.CodeOf(err), e.Msg
		switch e.Kind {
		case errs.Unauthenticated:
			status = http.StatusUnauthorized
		case errs.Forbidden:
			status = http.StatusForbidden
		case errs.Invalid:
			status = http.StatusBadRequest
		case errs.NotFound:
			status = http.StatusNotFound
		case errs.TooLarge:
			status = http.StatusRequestEntityTooLarge
		}
	}
	writeProblem(w, status, code, msg)
}

// authenticate checks that a request comes from a known, unsuspended peer:
// pinned certificate (when over TLS), signature by its node key over text,
// and a send time within the allowed clock skew.
func (s *Service) authenticate(ctx context.Context, from, sentAt, sig, certFP string, text []byte) error {
	peer, err := s.Peer(ctx, from)
	if errs.Is(err, errs.NotFound) || from == "" {
		return reject(errs.Unauthenticated, CodeUnknownSender, "sender "+quote(from)+" is not a peer of this node")
	}
	if err != nil {
		return err
	}
	if peer.Suspended {
		return reject(errs.Forbidden, CodeSuspended, "exchange with "+from+" is suspended")
	}
	if certFP != "" && !s.certPinned(peer, certFP) {
		return reject(errs.Unauthenticated, CodeCertMismatch, "the TLS client certificate is not the one pinned for "+from)
	}
	keys := s.trustedKeys(peer)
	if len(keys) == 0 {
		return reject(errs.Unauthenticated, CodeBadSignature, "no valid public key is configured for "+from)
	}
	if !verifyAny(keys, text, sig) {
		return reject(errs.Unauthenticated, CodeBadSignature, "the signature does not verify with the key of "+from)
	}
	sent, err := time.Parse(time.RFC3339Nano, sentAt)
	if err != nil || absDur(s.d.Clock.Now().Sub(sent)) > s.cfg.MaxSkew {
		return reject(errs.Unauthenticated, CodeClockSkew, "the request time differs from this node's clock by more than "+s.cfg.MaxSkew.String())
	}
	return nil
}

// Call asks peer the call named name with req and decodes the answer into out.
func (s *Service) Call(ctx context.Context, peer, name string, req, out any) error {
	const op = "federation.Call"
	p, err := s.Peer(ctx, peer)
	if err != nil {
		return err
	}
	c, err := s.client(p)
	if err != nil {
		return err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return errs.Wrap(errs.Internal, op, "cannot encode the call", err)
	}
	path := CallPrefix + name
	sentAt := s.d.Clock.Now().UTC().Format(time.RFC3339Nano)
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+path, bytes.NewReader(body))
	if err != nil {
		return errs.Wrap(errs.Invalid, op, "bad peer URL", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(HeaderNode, s.d.Node.ID)
	hr.Header.Set(HeaderSentAt, sentAt)
	hr.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(s.signingKey(ctx, p.ID), callText(s.d.Node.ID, p.ID, sentAt, path, body))))
	resp, err := c.Do(hr)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "peer "+p.ID+" is unreachable", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxCallBytes))
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "peer "+p.ID+" did not answer completely", err)
	}
	if resp.StatusCode != http.StatusOK {
		var pr struct {
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &pr)
		kind := errs.Unavailable
		if resp.StatusCode == http.StatusNotFound {
			kind = errs.NotFound
		}
		return errs.Newf(kind, op, "peer %s answered %d: %s", p.ID, resp.StatusCode, pr.Detail)
	}
	if err := json.Unmarshal(data, out); err != nil {
		return errs.Wrap(errs.Unavailable, op, fmt.Sprintf("peer %s sent an unreadable answer", p.ID), err)
	}
	return nil
}
