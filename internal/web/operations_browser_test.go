package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserOperationsBoardFollowsPartner: the Bosnian NCU has the
// operations board open; Serbia notifies a hot pursuit and then posts a
// position; both appear on the open board, with the dot on the map,
// without a reload.
func TestBrowserOperationsBoardFollowsPartner(t *testing.T) {
	ns := opsNodes(t, "rs", "ba")
	rs, ba := ns[0], ns[1]
	ba.AddUser(t, "ba-ncu", auth.RoleNCUOperator)
	bc := browsertest.New(t)
	browsertest.Login(bc, t, ba.URL, "ba-ncu", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(ba.URL+"/operations"), chromedp.WaitVisible(chromedp.CSS(`.ops-live-on`)))
	// A marker on the page: a reload would lose it.
	browsertest.Do(bc, t, chromedp.Evaluate[chromedp.Void](`window.stillTheSamePage = true`))

	ctx := context.Background()
	rsPol := &auth.Principal{Username: "ana", Agency: "rs-traffic", Roles: []auth.Role{auth.RoleOfficer}}
	start := time.Now()
	o, err := rs.Ops.Open(ctx, rsPol, opsPursuit("ba"))
	if err != nil {
		t.Fatal(err)
	}
	row := fmt.Sprintf(`#ops-list tr[data-id="%s"]`, o.ID)
	browsertest.Do(bc, t, chromedp.WaitVisible(chromedp.CSS(row)))
	t.Logf("notification on the partner's board after %v", time.Since(start))
	if s := browsertest.Text(bc, t, row); !strings.Contains(s, "Stolen Audi A6 fleeing towards Zvornik") || !strings.Contains(s, "RS → BA") || !strings.Contains(s, "notified") {
		t.Fatalf("row: %q", s)
	}

	start = time.Now()
	if _, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvPosition, Text: "Karakaj junction, heading south", Position: "44.4010, 19.1290"}); err != nil {
		t.Fatal(err)
	}
	browsertest.Do(bc, t, chromedp.Poll[chromedp.Void](fmt.Sprintf(`(document.querySelector('%s .ops-last')||{}).innerText?.includes('Karakaj junction')`, row), chromedp.WithPollingTimeout(10*time.Second)))
	elapsed := time.Since(start)
	t.Logf("position on the partner's board after %v", elapsed)
	if elapsed > 2*time.Second {
		t.Errorf("the update took %v to show (want < 2 s on loopback)", elapsed)
	}
	if s := browsertest.Text(bc, t, row+" .ops-last"); !strings.Contains(s, "44.40100, 19.12900") {
		t.Fatalf("last position: %q", s)
	}
	still, err := chromedp.Run(bc, chromedp.Evaluate[bool](`window.stillTheSamePage === true && !!document.querySelector('#ops-map circle[data-op="`+o.ID+`"]')`))
	if err != nil || !still {
		t.Fatalf("the page was reloaded or the map has no dot: %v", err)
	}
	browsertest.Screenshot(bc, t, "operations-board-live")

	// The NCU opens the operation and acknowledges it through the form.
	browsertest.Do(bc, t, chromedp.Click(chromedp.CSS(row+` a`)), chromedp.WaitVisible(chromedp.CSS(`#act-acknowledge`)))
	if s := browsertest.Text(bc, t, "#ops-status"); !strings.Contains(s, "notified") {
		t.Fatalf("status %q", s)
	}
	if n, err := chromedp.Run(bc, chromedp.Evaluate[int](`document.querySelectorAll('#act-end, #act-report').length`)); err != nil || n != 0 {
		t.Fatalf("the host is offered the pursuing side's actions (%d, %v)", n, err)
	}
	browsertest.Do(bc, t, chromedp.SendKeys(chromedp.CSS(`#acknowledge-text`), "Border police Zvornik informed"), chromedp.Click(chromedp.CSS(`#do-acknowledge`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if s := browsertest.Text(bc, t, "#ops-status"); !strings.Contains(s, "acknowledged") {
		t.Fatalf("status after acknowledging %q", s)
	}
	browsertest.Screenshot(bc, t, "operations-op")
	waitRS := func() bool {
		got, err := rs.Ops.Get(ctx, rsPol, o.ID)
		return err == nil && got.Status == operations.StAcknowledged
	}
	testutil.WaitFor(t, "the acknowledgement in Serbia", 20*time.Second, waitRS)
}
