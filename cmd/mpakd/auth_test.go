package main

import (
	"strings"
	"testing"
)

// mpakd does not serve an address other machines reach without
// authentication unless told so out loud; loopback needs nothing.
func TestExposureNeedsAuthOrConsent(t *testing.T) {
	for _, c := range []struct {
		addr          string
		auth, consent bool
		ok            bool
	}{
		{"127.0.0.1:5000", false, false, true},
		{"localhost:5000", false, false, true},
		{"[::1]:5000", false, false, true},
		{"0.0.0.0:5000", false, false, false},
		{":5000", false, false, false},
		{"10.1.2.3:5000", false, false, false},
		{"0.0.0.0:5000", true, false, true},
		{"0.0.0.0:5000", false, true, true},
	} {
		err := checkExposure(c.addr, c.auth, c.consent)
		if (err == nil) != c.ok {
			t.Errorf("checkExposure(%q, auth %v, --insecure-no-auth %v) = %v, want ok %v", c.addr, c.auth, c.consent, err, c.ok)
		}
		if err != nil && (!strings.Contains(err.Error(), "--auth-htpasswd") || !strings.Contains(err.Error(), "--insecure-no-auth")) {
			t.Errorf("the refusal does not name both ways out: %v", err)
		}
	}
	_, err := mpakd(t, "serve", "--addr", "0.0.0.0:0", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "no authentication is on") {
		t.Errorf("mpakd serve on 0.0.0.0 without auth: %v, want refused", err)
	}
	_, err = mpakd(t, "serve", "--auth-policy", "p.yaml", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "needs --auth-htpasswd") {
		t.Errorf("--auth-policy alone: %v", err)
	}
	_, err = mpakd(t, "serve", "--auth-oidc-audience", "mpakd", "--data", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "--auth-oidc-* needs --auth-htpasswd") {
		t.Errorf("--auth-oidc-audience alone: %v", err)
	}
}
