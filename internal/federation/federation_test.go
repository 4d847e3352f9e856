package federation_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const typeSeq = "test.seq"

type seqPayload struct {
	N int `json:"n"`
}

// registerSeq installs a handler that records each message once and
// refuses any message that arrives before its predecessor or twice.
func registerSeq(n *app.Node) {
	n.Fed.Register(typeSeq, federation.TypeSpec{Handle: func(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
		var p seqPayload
		if err := json.Unmarshal(in.Payload, &p); err != nil {
			return err
		}
		key := func(i int) string { return fmt.Sprintf("got/%s/%s/%06d", in.From, in.Conversation, i) }
		if p.N > 1 {
			var v string
			if err := tx.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = ?`, key(p.N-1)).Scan(&v); err != nil {
				return fmt.Errorf("message %d arrived before %d", p.N, p.N-1)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, key(p.N), in.ID)
		return err
	}})
}

type mode struct {
	name string
	tls  bool
}

func modes() []mode { return []mode{{"plain", false}, {"mtls", true}} }

func startNode(t *testing.T, id string, opt store.Options, m mode, dataDir string, addr string) *testutil.Node {
	t.Helper()
	return testutil.Start(t, testutil.Options{NodeID: id, Store: opt, BeforeStart: registerSeq, Config: func(c *config.Config) {
		if dataDir != "" {
			c.DataDir = dataDir
		}
		if m.tls {
			c.FederationAddr = "127.0.0.1:0"
			if addr != "" {
				c.FederationAddr = addr
			}
		} else {
			c.InsecureFederation = true
			if addr != "" {
				c.Addr = addr
			}
		}
	}})
}

func sendSeq(t *testing.T, from *testutil.Node, to, conv string, first, last int) {
	t.Helper()
	ctx := context.Background()
	err := from.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := first; i <= last; i++ {
			if _, err := from.Fed.Enqueue(ctx, tx, federation.Outgoing{To: to, Type: typeSeq, Conversation: conv, Payload: seqPayload{N: i}}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	from.Fed.Notify()
}

func countGot(t *testing.T, n *testutil.Node, from, conv string) int {
	t.Helper()
	var c int
	if err := n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM node_settings WHERE key LIKE ?`, "got/"+from+"/"+conv+"/%").Scan(&c); err != nil {
		t.Fatal(err)
	}
	return c
}

func failedHandlers(t *testing.T, n *testutil.Node) int {
	var c int
	_ = n.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM fed_inbox WHERE state = ?`, federation.InFailed).Scan(&c)
	return c
}

func TestDeliveryAcrossThreeNodes(t *testing.T) {
	for _, be := range storetest.Backends() {
		for _, m := range modes() {
			t.Run(be.Name+"/"+m.name, func(t *testing.T) {
				al := startNode(t, "al", be.Options(t), m, "", "")
				rs := startNode(t, "rs", be.Options(t), m, "", "")
				xk := startNode(t, "xk", be.Options(t), m, "", "")
				testutil.PeerAll(t, al, rs, xk)
				sendSeq(t, al, "rs", "c1", 1, 30)
				sendSeq(t, al, "xk", "c1", 1, 30)
				sendSeq(t, rs, "xk", "c2", 1, 10)
				testutil.WaitFor(t, "all messages handled", 20*time.Second, func() bool {
					return countGot(t, rs, "al", "c1") == 30 && countGot(t, xk, "al", "c1") == 30 && countGot(t, xk, "rs", "c2") == 10
				})
				for _, n := range []*testutil.Node{al, rs, xk} {
					if f := failedHandlers(t, n); f != 0 {
						t.Fatalf("%s: %d handler failures (order or duplicates)", n.Cfg.NodeID, f)
					}
				}
				// Ping/pong: the pong comes back through the peer's own outbox.
				if _, err := al.Fed.Ping(context.Background(), nil, "xk"); err != nil {
					t.Fatal(err)
				}
				testutil.WaitFor(t, "pong", 10*time.Second, func() bool {
					var c int
					_ = al.Store.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM fed_inbox WHERE type = ? AND state = ?`, federation.TypePong, federation.InHandled).Scan(&c)
					return c == 1
				})
				peers, _ := al.Fed.Peers(context.Background())
				for _, p := range peers {
					if p.LastContactAt.IsZero() || p.Backlog != 0 || p.Failures != 0 {
						t.Errorf("peer status %+v", p)
					}
				}
			})
		}
	}
}

func TestNCUApproveRejectAndRoute(t *testing.T) {
	storetestEach(t, func(t *testing.T, opt func(testing.TB) store.Options) {
		me := startNode(t, "me", opt(t), mode{}, "", "")
		mk := startNode(t, "mk", opt(t), mode{}, "", "")
		testutil.PeerAll(t, me, mk)
		ctx := context.Background()
		officer := &auth.Principal{Username: "officer", Agency: "me-up", Roles: []auth.Role{auth.RoleOfficer}}
		ncu := &auth.Principal{Username: "ncu", Agency: "me-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
		id1, err := me.Fed.SendNotice(ctx, officer, "mk", "Stolen vehicle PG-123-AB", "Seen near the border crossing at Deve Bair.")
		if err != nil {
			t.Fatal(err)
		}
		id2, _ := me.Fed.SendNotice(ctx, officer, "mk", "Not to be sent", "draft")
		testutil.RoundTrip(t, me, "mk") // a later message has left and arrived
		if e, _ := me.Fed.Outbox(ctx, id1); e.State != federation.OutNCUPending {
			t.Fatalf("sensitive message left without NCU approval: %s", e.State)
		}
		q, _ := me.Fed.Queue(ctx, ncu)
		if len(q) != 2 || q[0].Direction != "outgoing" || q[0].Summary != "Stolen vehicle PG-123-AB" {
			t.Fatalf("queue %+v", q)
		}
		if err := me.Fed.Reject(ctx, ncu, id2, ""); err == nil {
			t.Fatal("reject without reason must fail")
		}
		if err := me.Fed.Reject(ctx, ncu, id2, "not within the agreement's scope"); err != nil {
			t.Fatal(err)
		}
		if err := me.Fed.Approve(ctx, ncu, id2); err == nil {
			t.Fatal("a rejected message cannot be approved")
		}
		if err := me.Fed.Approve(ctx, ncu, id1); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "delivery", 10*time.Second, func() bool {
			e, _ := me.Fed.Outbox(ctx, id1)
			return e.State == federation.OutDelivered
		})
		if e, _ := me.Fed.Outbox(ctx, id2); e.State != federation.OutRejected || e.Reason == "" {
			t.Fatalf("rejected message: %+v", e)
		}
		// Receiving NCU routes it to an agency; only then is it handled.
		mq, _ := mk.Fed.Queue(ctx, ncu)
		if len(mq) != 1 || mq[0].Direction != "incoming" || mq[0].Summary != "Stolen vehicle PG-123-AB" {
			t.Fatalf("incoming queue %+v", mq)
		}
		mkOfficer := &auth.Principal{Username: "o2", Agency: "mk-border-police", Roles: []auth.Role{auth.RoleOfficer}}
		if ns, _ := mk.Fed.Notices(ctx, mkOfficer); len(ns) != 0 {
			t.Fatal("notice visible before routing")
		}
		if err := mk.Fed.Route(ctx, &auth.Principal{Username: "ncu-mk", Roles: []auth.Role{auth.RoleNCUOperator}}, mq[0].ID, "mk-border-police"); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "routing handled", 10*time.Second, func() bool {
			ns, _ := mk.Fed.Notices(ctx, mkOfficer)
			return len(ns) == 1 && ns[0].Text == "Seen near the border crossing at Deve Bair."
		})
		other := &auth.Principal{Username: "o3", Agency: "mk-customs", Roles: []auth.Role{auth.RoleOfficer}}
		if ns, _ := mk.Fed.Notices(ctx, other); len(ns) != 0 {
			t.Fatal("another agency must not see the notice")
		}
		// Every step is audited on both sides.
		for _, c := range []struct {
			n      *testutil.Node
			action string
		}{{me, "ncu.approve"}, {me, "ncu.reject"}, {me, "federation.deliver"}, {mk, "federation.receive"}, {mk, "ncu.route"}} {
			var k int
			_, _ = c.n.Audit.Drain(ctx)
			_ = c.n.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, c.action).Scan(&k)
			if k == 0 {
				t.Errorf("%s: no %s audit entry", c.n.Cfg.NodeID, c.action)
			}
		}
	})
}

func storetestEach(t *testing.T, fn func(t *testing.T, opt func(testing.TB) store.Options)) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) { fn(t, be.Options) })
	}
}

// freeAddr reserves a loopback address for a node that will be restarted.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func TestReceiverDownThenBack(t *testing.T) {
	storetestEach(t, func(t *testing.T, opt func(testing.TB) store.Options) {
		for _, m := range modes() {
			t.Run(m.name, func(t *testing.T) {
				al := startNode(t, "al", opt(t), m, "", "")
				rsDir, rsAddr, rsStore := t.TempDir(), freeAddr(t), opt(t)
				rs := startNode(t, "rs", rsStore, m, rsDir, rsAddr)
				testutil.Peer(t, al, rs)
				ctx := context.Background()
				rs.Close(ctx)
				sendSeq(t, al, "rs", "down", 1, 100)
				testutil.WaitFor(t, "failed attempts", 10*time.Second, func() bool {
					p, _ := al.Fed.Peer(ctx, "rs")
					return p.Failures > 0
				})
				rs2 := startNode(t, "rs", rsStore, m, rsDir, rsAddr)
				if err := al.Fed.RetryNow(ctx, "rs"); err != nil {
					t.Fatal(err)
				}
				testutil.WaitFor(t, "backlog delivered", 20*time.Second, func() bool { return countGot(t, rs2, "al", "down") == 100 })
				if failedHandlers(t, rs2) != 0 {
					t.Fatal("duplicates or disorder after the receiver returned")
				}
			})
		}
	})
}

func TestSenderRestartLosesNothing(t *testing.T) {
	storetestEach(t, func(t *testing.T, opt func(testing.TB) store.Options) {
		rs := startNode(t, "rs", opt(t), mode{}, "", "")
		alDir, alAddr, alStore := t.TempDir(), freeAddr(t), opt(t)
		al := testutil.Start(t, testutil.Options{NodeID: "al", Store: alStore, BeforeStart: registerSeq, NoCleanup: true, Config: func(c *config.Config) {
			c.DataDir, c.Addr, c.InsecureFederation = alDir, alAddr, true
		}})
		testutil.Peer(t, al, rs)
		sendSeq(t, al, "rs", "crash", 1, 1000)
		// Stop the sender while it is delivering.
		testutil.WaitFor(t, "delivery under way", 10*time.Second, func() bool { return countGot(t, rs, "al", "crash") > 0 })
		al.Close(context.Background())
		got := countGot(t, rs, "al", "crash")
		al2 := startNode(t, "al", alStore, mode{}, alDir, alAddr)
		testutil.WaitFor(t, "all delivered after restart", 30*time.Second, func() bool { return countGot(t, rs, "al", "crash") == 1000 })
		if failedHandlers(t, rs) != 0 {
			t.Fatal("a message was handled twice or out of order")
		}
		t.Logf("%d of 1000 delivered before the stop; the rest after restart", got)
		_ = al2
	})
}

// proxy forwards TCP to target and can cut the link to simulate a partition.
type proxy struct {
	ln     net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				c.Close()
				continue
			}
			go p.pipe(c)
		}
	}()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *proxy) pipe(c net.Conn) {
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns = append(p.conns, c, u)
	p.mu.Unlock()
	go func() { io.Copy(u, c); u.Close() }()
	io.Copy(c, u)
	c.Close()
}

func (p *proxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
	p.mu.Unlock()
}

func TestPartitionHeals(t *testing.T) {
	al := startNode(t, "al", store.Options{}, mode{tls: true}, "", "")
	ba := startNode(t, "ba", store.Options{}, mode{tls: true}, "", "")
	testutil.Peer(t, al, ba)
	px := newProxy(t, strings.TrimPrefix(ba.FederationURL(), "https://"))
	ctx := context.Background()
	if err := al.Fed.AddPeer(ctx, nil, federation.Peer{ID: "ba", URL: "https://" + px.ln.Addr().String(), PublicKey: ba.Identity.PublicString(), CertSHA256: federation.CertFingerprint(ba.FedTLS)}); err != nil {
		t.Fatal(err)
	}
	px.cut()
	sendSeq(t, al, "ba", "part", 1, 50)
	testutil.WaitFor(t, "failures during the partition", 10*time.Second, func() bool {
		p, _ := al.Fed.Peer(ctx, "ba")
		return p.Failures > 0
	})
	if countGot(t, ba, "al", "part") != 0 {
		t.Fatal("delivered through a partition")
	}
	px.down.Store(false)
	_ = al.Fed.RetryNow(ctx, "ba")
	testutil.WaitFor(t, "delivery after healing", 20*time.Second, func() bool { return countGot(t, ba, "al", "part") == 50 })
	if failedHandlers(t, ba) != 0 {
		t.Fatal("duplicates after healing")
	}
}

// deliver posts a crafted delivery to n's inbox, signed with key as node from.
func deliver(t *testing.T, n *testutil.Node, from string, key ed25519.PrivateKey, sentAt time.Time, envs ...federation.Envelope) (int, map[string]any) {
	t.Helper()
	var raws []json.RawMessage
	for _, e := range envs {
		b, _ := json.Marshal(e)
		raws = append(raws, b)
	}
	body, _ := json.Marshal(map[string]any{"envelopes": raws})
	at := sentAt.UTC().Format(time.RFC3339Nano)
	sig := ed25519.Sign(key, []byte("liaison-delivery-v1\n"+from+"\n"+n.Cfg.NodeID+"\n"+at+"\n"+sha256hex(body)))
	req, _ := http.NewRequest("POST", n.BaseURL()+federation.InboxPath, bytes.NewReader(body))
	req.Header.Set(federation.HeaderNode, from)
	req.Header.Set(federation.HeaderSentAt, at)
	req.Header.Set(federation.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func resultCode(out map[string]any) string {
	rs, _ := out["results"].([]any)
	if len(rs) != 1 {
		return fmt.Sprint(out)
	}
	r := rs[0].(map[string]any)
	if c, ok := r["code"].(string); ok {
		return c
	}
	return r["status"].(string)
}

func TestReceiverRejections(t *testing.T) {
	rs := startNode(t, "rs", store.Options{}, mode{}, "", "")
	xk := startNode(t, "xk", store.Options{}, mode{}, "", "")
	testutil.Peer(t, rs, xk)
	key := xk.Identity.Key
	now := time.Now()
	env := func(payload string) federation.Envelope {
		e := federation.Envelope{ID: fmt.Sprintf("env-%d", time.Now().UnixNano()), From: "xk", To: "rs", Type: typeSeq, Conversation: "r", Seq: 1, CreatedAt: now, Payload: json.RawMessage(payload)}
		if err := e.Sign(key); err != nil {
			t.Fatal(err)
		}
		return e
	}
	good := env(`{"n": 1}`)
	if code, out := deliver(t, rs, "xk", key, now, good); code != 200 || resultCode(out) != "accepted" {
		t.Fatalf("good envelope: %d %v", code, out)
	}
	// The same envelope again (a retry) is acknowledged, not handled twice.
	if _, out := deliver(t, rs, "xk", key, now, good); resultCode(out) != "duplicate" {
		t.Fatalf("retry: %v", out)
	}
	// Same id, different content: a replay attempt.
	replay := good
	replay.Payload = json.RawMessage(`{"n": 2}`)
	_ = replay.Sign(key)
	if _, out := deliver(t, rs, "xk", key, now, replay); resultCode(out) != federation.CodeReplay {
		t.Fatalf("replay: %v", out)
	}
	tampered := env(`{"n": 1}`)
	tampered.Payload = json.RawMessage(`{"n": 99}`)
	if _, out := deliver(t, rs, "xk", key, now, tampered); resultCode(out) != federation.CodeBadSignature {
		t.Fatalf("tampered: %v", out)
	}
	_, wrongKey, _ := ed25519.GenerateKey(rand.Reader)
	forged := env(`{"n": 1}`)
	_ = forged.Sign(wrongKey)
	if _, out := deliver(t, rs, "xk", key, now, forged); resultCode(out) != federation.CodeBadSignature {
		t.Fatalf("wrong envelope key: %v", out)
	}
	cases := []struct {
		name   string
		from   string
		key    ed25519.PrivateKey
		sentAt time.Time
		status int
		code   string
	}{
		{"unknown sender", "zz", key, now, 401, federation.CodeUnknownSender},
		{"wrong delivery key", "xk", wrongKey, now, 401, federation.CodeBadSignature},
		{"captured delivery replayed later", "xk", key, now.Add(-10 * time.Minute), 401, federation.CodeClockSkew},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := deliver(t, rs, tc.from, tc.key, tc.sentAt, env(`{"n": 1}`))
			if code != tc.status || out["type"] != federation.ProblemPrefix+tc.code {
				t.Fatalf("got %d %v, want %d %s", code, out, tc.status, tc.code)
			}
		})
	}
	if err := rs.Fed.SetSuspended(context.Background(), nil, "xk", true); err != nil {
		t.Fatal(err)
	}
	if code, out := deliver(t, rs, "xk", key, now, env(`{"n": 1}`)); code != 403 || out["type"] != federation.ProblemPrefix+federation.CodeSuspended {
		t.Fatalf("suspended: %d %v", code, out)
	}
}

func TestMTLSRefusesUnpinnedClients(t *testing.T) {
	rs := startNode(t, "rs", store.Options{}, mode{tls: true}, "", "")
	// A plain HTTPS client without a pinned certificate cannot even connect.
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: federation.ClientTLS(rs.FedTLS, federation.CertFingerprint(rs.FedTLS))}, Timeout: 5 * time.Second}
	_, err := c.Post(rs.FederationURL()+federation.InboxPath, "application/json", strings.NewReader("{}"))
	if err == nil {
		t.Fatal("a client whose certificate is not pinned for any peer must be refused during the handshake")
	}
	// And the main HTTP port refuses federation traffic without TLS.
	resp, err := http.Post(rs.BaseURL()+federation.InboxPath, "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("plain inbox without --insecure-federation: %d", resp.StatusCode)
	}
}

func TestPeerValidation(t *testing.T) {
	n := startNode(t, "rs", store.Options{}, mode{tls: true}, "", "")
	ctx := context.Background()
	pub := n.Identity.PublicString()
	for _, tc := range []struct {
		name string
		p    federation.Peer
		msg  string
	}{
		{"self", federation.Peer{ID: "rs", URL: "https://x", PublicKey: pub, CertSHA256: strings.Repeat("a", 64)}, "its own peer"},
		{"bad id", federation.Peer{ID: "R S", URL: "https://x", PublicKey: pub}, "short lower-case"},
		{"http without insecure", federation.Peer{ID: "al", URL: "http://x", PublicKey: pub}, "insecure-federation"},
		{"bad key", federation.Peer{ID: "al", URL: "https://x", PublicKey: "abc", CertSHA256: strings.Repeat("a", 64)}, "Ed25519"},
		{"no cert pin", federation.Peer{ID: "al", URL: "https://x", PublicKey: pub}, "fingerprint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := n.Fed.AddPeer(ctx, nil, tc.p)
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want message with %q", err, tc.msg)
			}
		})
	}
}
