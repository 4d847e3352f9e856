package web_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestQueueProblemsAreVisible: a received query that could not be answered
// shows on the federation page with its reason, in the reader's language
// where the catalogue has it, and in the metrics by queue and state.
func TestQueueProblemsAreVisible(t *testing.T) {
	const metricsToken = "metrics-token-for-queue-test"
	n := testutil.Start(t, testutil.Options{Config: func(c *config.Config) { c.MetricsToken = metricsToken }})
	n.AddUser(t, "ncu1", auth.RoleNCUOperator)
	ctx := t.Context()
	for _, row := range []struct{ id, state, lastErr string }{
		{"in-1", "failed", "the answer cannot be read"},
		{"in-2", "pending", "peer rs is suspended"},
		{"in-3", "pending", ""},
	} {
		attempts := 0
		if row.lastErr != "" {
			attempts = 3
		}
		if _, err := n.Store.ExecContext(ctx, `INSERT INTO cases_inbound (id, query_id, peer, purpose, case_ref, requester, agency, items, state, received_at, attempts, next_attempt_at, last_error)
			VALUES (?, ?, 'rs', 'secret purpose of the asking country', 'RS-1', 'ana', 'rs-mup', '[]', ?, '2026-01-01T00:00:00.000000Z', ?, '2099-01-01T00:00:00.000000Z', ?)`,
			row.id, "Q-"+row.id, row.state, attempts, row.lastErr); err != nil {
			t.Fatal(err)
		}
	}
	c := testutil.Client()
	login(t, c, n.URL, "ncu1")
	resp, err := c.Get(n.URL + "/federation")
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `id="queues"`) {
		t.Fatalf("federation page: %d", resp.StatusCode)
	}
	for _, want := range []string{"Hit/no-hit answers", "Q-in-1", "the answer cannot be read", "failed, needs a person", "Q-in-2", "peer rs is suspended", "retrying"} {
		if !strings.Contains(page, want) {
			t.Errorf("the queues section lacks %q", want)
		}
	}
	if strings.Contains(page, "secret purpose") {
		t.Error("the queues section shows what was asked")
	}

	mc := testutil.Client()
	req, _ := http.NewRequest(http.MethodGet, n.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err = mc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	m := body(t, resp)
	for _, want := range []string{
		`liaison_queue_items{queue="cases.answers",state="failed"} 1`,
		`liaison_queue_items{queue="cases.answers",state="retrying"} 1`,
		`liaison_queue_items{queue="cases.answers",state="waiting"} 1`,
		`liaison_queue_items{queue="federation.outbox",state="failed"} 0`,
		`liaison_queue_oldest_seconds{queue="cases.answers"}`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
