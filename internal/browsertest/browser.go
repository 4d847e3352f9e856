// Package browsertest drives Debian's Chromium with chromedp for end-to-end
// tests of the web UI.
package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// FindChromium returns the browser binary, or "" if none is installed.
func FindChromium() string {
	if p := os.Getenv("LIAISON_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless browser for the test. Without Chromium the test is
// skipped, except in CI where a missing browser is a failure.
func New(t *testing.T) context.Context {
	t.Helper()
	bin := FindChromium()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is required in CI (apt-get install -y chromium)")
		}
		t.Skip("no Chromium found; install it with apt-get install -y chromium to run browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	tctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	// The first action starts the browser; it must not carry the timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return tctx
}

// Screenshot saves a full-page PNG when LIAISON_SCREENSHOTS names a directory.
func Screenshot(ctx context.Context, t *testing.T, name string) {
	dir := os.Getenv("LIAISON_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	_ = os.WriteFile(dir+"/"+name+".png", buf, 0o644)
}

// Do runs actions and fails the test on error.
func Do(ctx context.Context, t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// Text returns the visible text of the first element matching the CSS selector.
func Text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// InViewport reports whether every CSS selector's first element is shown
// (has a height) and lies wholly inside the viewport, as a person sees
// the page without scrolling.
func InViewport(ctx context.Context, t *testing.T, sels ...string) bool {
	t.Helper()
	list, err := json.Marshal(sels)
	if err != nil {
		t.Fatal(err)
	}
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => `+string(list)+`.every(s => {
		const e = document.querySelector(s); if (!e) return false;
		const r = e.getBoundingClientRect();
		return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; }))()`))
	if err != nil {
		t.Fatalf("viewport of %v: %v", sels, err)
	}
	return ok
}

// Login signs in through the login form of the node at base.
func Login(ctx context.Context, t *testing.T, base, user, password string) {
	t.Helper()
	Do(ctx, t,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), user),
		chromedp.SendKeys(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)),
	)
}

// Logout uses the header's log-out button.
func Logout(ctx context.Context, t *testing.T) {
	t.Helper()
	Do(ctx, t, chromedp.Click(chromedp.CSS(`#logout`)), chromedp.WaitVisible(chromedp.CSS(`#login-submit`)))
}
