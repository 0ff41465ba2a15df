package web_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
)

// TestSignInChromium signs in as a person does, without script: the
// header's link, the browser's Basic prompt (answered here through the
// DevTools protocol), and back to the page; the browser then sends the
// credentials with every page by itself, so private bundles show.
func TestSignInChromium(t *testing.T) {
	srv, _ := readRuleUI(t, true)
	ctx := newBrowser(t)
	var prompts atomic.Int32
	chromedp.ListenTarget(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *fetch.EventAuthRequired:
			prompts.Add(1)
			go chromedp.Run(ctx, fetch.ContinueWithAuth(ev.RequestID, &fetch.AuthChallengeResponse{
				Response: fetch.AuthChallengeResponseResponseProvideCredentials, Username: "alice", Password: "pw"}))
		case *fetch.EventRequestPaused:
			go chromedp.Run(ctx, fetch.ContinueRequest(ev.RequestID))
		}
	})
	var before, login, after, user, later string
	err := chromedp.Run(ctx,
		fetch.Enable().WithHandleAuthRequests(true),
		chromedp.Navigate(srv.URL+"/@a-secret/weather"),
		chromedp.Text("h1", &before, chromedp.ByQuery),
		chromedp.AttributeValue("a.session", "href", &login, nil, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error { return chromedp.Navigate(srv.URL + login).Do(ctx) }),
		chromedp.Text("h1", &after, chromedp.ByQuery),
		chromedp.Text(".session", &user, chromedp.ByQuery),
		// A page the sign-in did not lead to: the browser sends the
		// credentials unasked.
		chromedp.Navigate(srv.URL+"/search?q=board"),
		chromedp.Text("ol.hits", &later, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatal(err)
	}
	if before != "Not found" || login != "/login?next=%2F%40a-secret%2Fweather" {
		t.Errorf("before signing in: h1 %q, sign-in link %q", before, login)
	}
	if !strings.Contains(after, "@a-secret/weather") || user != "Signed in as alice" || prompts.Load() != 1 {
		t.Errorf("after signing in: h1 %q, header %q, %d prompts", after, user, prompts.Load())
	}
	if !strings.Contains(later, "@a-secret/weather") {
		t.Errorf("a later page does not show alice's bundle: %q", later)
	}
}
