package federation

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Delivery headers: the sender signs each HTTP delivery, so a captured
// request cannot be replayed after the skew window.
const (
	HeaderNode      = "Liaison-Node"
	HeaderSentAt    = "Liaison-Sent-At"
	HeaderSignature = "Liaison-Delivery-Signature"
	InboxPath       = "/federation/v1/inbox"
)

func deliveryText(from, to, sentAt string, body []byte) []byte {
	h := sha256.Sum256(body)
	return []byte("liaison-delivery-v1\n" + from + "\n" + to + "\n" + sentAt + "\n" + hex.EncodeToString(h[:]))
}

// batch is what a delivery POST carries.
type batch struct {
	Envelopes []json.RawMessage `json:"envelopes"`
}

// Result is the receiver's answer for one envelope.
type Result struct {
	ID     string `json:"id"`
	Status string `json:"status"` // accepted, duplicate, rejected
	Code   string `json:"code,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type batchResponse struct {
	Results []Result `json:"results"`
}

// Run delivers the outbox and dispatches the inbox until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); s.runOutbox(ctx) }()
	go func() { defer wg.Done(); s.runInbox(ctx) }()
	wg.Wait()
}

func (s *Service) runOutbox(ctx context.Context) {
	t := time.NewTicker(s.cfg.Poll)
	defer t.Stop()
	for {
		for {
			n, err := s.DeliverOnce(ctx)
			if err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("delivery round failed", "err", err)
			}
			if n == 0 || ctx.Err() != nil {
				break
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeOut:
		}
	}
}

type outRow struct {
	id, peer, envelope, typ string
	attempts                int
	createdAt               time.Time
}

// DeliverOnce sends every due message once and returns how many were
// acknowledged. Within a conversation a message is only sent after the
// earlier ones, so order is preserved.
func (s *Service) DeliverOnce(ctx context.Context) (int, error) {
	now := store.FormatTime(s.d.Clock.Now())
	// Conversations blocked by an earlier message that waits for the NCU or
	// for its next attempt: their later messages must wait too. Computed
	// once per round rather than per message, so a large backlog stays cheap.
	type conv struct{ peer, conversation string }
	blocked := map[conv]int64{}
	bs, err := blockedConversations(ctx, s.d.Store, now)
	if err != nil {
		return 0, err
	}
	for _, b := range bs {
		blocked[conv{b.peer, b.conversation}] = b.seq
	}
	announcing := map[string]bool{}
	ps, err := announcingPeers(ctx, s.d.Store)
	if err != nil {
		return 0, err
	}
	for _, p := range ps {
		announcing[p] = true
	}
	due, err := dueOutbox(ctx, s.d.Store, now, s.cfg.BatchSize*4)
	if err != nil {
		return 0, err
	}
	byPeer := map[string][]outRow{}
	var order []string
	for _, d := range due {
		r := d.outRow
		if first, ok := blocked[conv{r.peer, d.conversation}]; ok && first < d.seq {
			continue
		}
		if announcing[r.peer] && r.typ != TypeKeyRotate && r.typ != TypeKeyRevoke {
			continue // a key announcement goes alone, first
		}
		if _, ok := byPeer[r.peer]; !ok {
			order = append(order, r.peer)
		}
		byPeer[r.peer] = append(byPeer[r.peer], r)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for _, peer := range order {
		wg.Add(1)
		go func(peer string, msgs []outRow) {
			defer wg.Done()
			for len(msgs) > 0 {
				n := min(len(msgs), s.cfg.BatchSize)
				ok, err := s.deliverBatch(ctx, peer, msgs[:n])
				mu.Lock()
				total += ok
				mu.Unlock()
				if err != nil {
					return // the peer is unreachable: try again after backoff
				}
				msgs = msgs[n:]
			}
		}(peer, byPeer[peer])
	}
	wg.Wait()
	return total, nil
}

func (s *Service) client(p Peer) (*http.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.clients[p.ID]; ok {
		return c, nil
	}
	tr := &http.Transport{MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true, TLSHandshakeTimeout: 10 * time.Second}
	if strings.HasPrefix(p.URL, "https://") {
		if s.d.Certs == nil {
			return nil, errs.New(errs.Invalid, "federation.client", "this node has no federation certificate; run liaison federation init")
		}
		tr.TLSClientConfig = s.clientTLS(p)
	} else if !s.cfg.Insecure {
		return nil, errs.New(errs.Invalid, "federation.client", "plain http:// peers need --insecure-federation")
	}
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	s.clients[p.ID] = c
	return c, nil
}

// deliverBatch posts msgs to peer and records the outcome of each.
func (s *Service) deliverBatch(ctx context.Context, peerID string, msgs []outRow) (int, error) {
	p, err := s.Peer(ctx, peerID)
	if err != nil {
		return 0, err
	}
	var b batch
	for _, m := range msgs {
		b.Envelopes = append(b.Envelopes, json.RawMessage(m.envelope))
	}
	body, _ := json.Marshal(b)
	results, sendErr := s.post(ctx, p, body)
	now := s.d.Clock.Now()
	byID := map[string]Result{}
	for _, r := range results {
		byID[r.ID] = r
	}
	delivered, failedPerm := 0, 0
	var entries []audit.Entry
	var deliveredIDs []string
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range msgs {
			r, ok := byID[m.id]
			switch {
			case ok && (r.Status == "accepted" || r.Status == "duplicate"):
				deliveredIDs = append(deliveredIDs, m.id)
				delivered++
				s.metrics.observeDelivered(peerID, now.Sub(m.createdAt))
				entries = append(entries, audit.Entry{Actor: "federation", Action: "federation.deliver", Object: "envelope/" + m.id, Detail: m.typ + " to " + peerID})
			case ok && r.Status == "rejected":
				if err := outboxRefused(ctx, tx, m.id, textutil.Ellipsis(r.Code+": "+r.Detail, 500)); err != nil {
					return err
				}
				failedPerm++
				entries = append(entries, audit.Entry{Actor: "federation", Action: "federation.deliver", Object: "envelope/" + m.id, Outcome: audit.Failed, Detail: peerID + " refused: " + r.Code + ": " + r.Detail})
			default:
				msg := "not processed by the peer"
				if sendErr != nil {
					msg = errs.SafeMessage(sendErr)
					if e, ok := sendErr.(*errs.E); ok && e.Err != nil {
						msg += ": " + e.Err.Error()
					}
				}
				next := now.Add(s.backoff(m.attempts + 1))
				if err := outboxRetryAt(ctx, tx, m.id, store.FormatTime(next), textutil.Ellipsis(msg, 500)); err != nil {
					return err
				}
			}
		}
		if err := outboxDelivered(ctx, tx, deliveredIDs, store.FormatTime(now)); err != nil {
			return err
		}
		if sendErr != nil {
			return peerDeliveryFailed(ctx, tx, peerID, textutil.Ellipsis(errs.SafeMessage(sendErr), 500))
		}
		return peerDelivered(ctx, tx, peerID, store.FormatTime(now))
	})
	if err != nil {
		return 0, err
	}
	if len(entries) > 0 {
		if _, err := s.d.Audit.Append(ctx, entries...); err != nil {
			s.d.Logger.Error("audit of delivery failed", "err", err)
		}
	}
	if sendErr != nil {
		s.metrics.failures.WithLabelValues(peerID).Inc()
		s.d.Logger.Debug("delivery failed", "peer", peerID, "err", sendErr)
		return delivered, sendErr
	}
	return delivered, nil
}

// backoff grows exponentially with full jitter, capped at RetryMax.
func (s *Service) backoff(attempt int) time.Duration {
	d := s.cfg.RetryBase
	for i := 1; i < attempt && d < s.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, s.cfg.RetryMax)
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

func (s *Service) post(ctx context.Context, p Peer, body []byte) ([]Result, error) {
	const op = "federation.deliver"
	c, err := s.client(p)
	if err != nil {
		return nil, err
	}
	sentAt := s.d.Clock.Now().UTC().Format(time.RFC3339Nano)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.URL+InboxPath, bytes.NewReader(body))
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, op, "bad peer URL", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderNode, s.d.Node.ID)
	req.Header.Set(HeaderSentAt, sentAt)
	req.Header.Set(HeaderSignature, base64.StdEncoding.EncodeToString(ed25519.Sign(s.signingKey(ctx, p.ID), deliveryText(s.d.Node.ID, p.ID, sentAt, body))))
	resp, err := c.Do(req)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "peer "+p.ID+" is unreachable", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "peer "+p.ID+" did not answer completely", err)
	}
	if resp.StatusCode != http.StatusOK {
		var pr struct {
			Type   string `json:"type"`
			Detail string `json:"detail"`
		}
		_ = json.Unmarshal(data, &pr)
		return nil, errs.Wrap(errs.Unavailable, op, fmt.Sprintf("peer %s answered %d %s", p.ID, resp.StatusCode, pr.Detail), fmt.Errorf("%s", pr.Type))
	}
	var br batchResponse
	if err := json.Unmarshal(data, &br); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "peer "+p.ID+" sent an unreadable acknowledgement", err)
	}
	return br.Results, nil
}
