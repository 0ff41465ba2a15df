package connect_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"oras.land/oras-go/v2/registry"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/mpak-oci/mpak/oci/connect"
	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/registry/registrytest"
)

func tagsOf(t *testing.T, repository string) error {
	t.Helper()
	r, err := ref.Parse(repository, ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := connect.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if !repo.PlainHTTP {
		t.Error("a loopback registry was not reached over plain HTTP")
	}
	_, err = registry.Tags(context.Background(), repo)
	if err == nil {
		t.Fatal("listing tags succeeded")
	}
	return err
}

// An unknown repository on a real registry names the repository and the
// fix, in words: no Go map formatting of the registry's error detail.
func TestExplainUnknownRepository(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registrytest.Distribution(t)
	err := tagsOf(t, host+"/nobody/here")
	explained := connect.Explain(err)
	want := "registry " + host + " has no repository nobody/here: nothing has been pushed to it; check the name, and MPAK_REGISTRY"
	if msg := explained.Error(); !strings.Contains(msg, want) || strings.Contains(msg, "map[") {
		t.Errorf("explained: %s\nwant it to contain: %s", msg, want)
	}
	var resp *errcode.ErrorResponse
	if !errors.As(explained, &resp) || resp.StatusCode != 404 {
		t.Error("the explained error no longer matches the registry's answer")
	}
	if connect.Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}

// A registry that is not running gets the hint to start mpakd or set
// MPAK_REGISTRY.
func TestExplainRegistryDown(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := ln.Addr().String()
	ln.Close() // a port nothing listens on
	msg := connect.Explain(tagsOf(t, host+"/acme/x")).Error()
	want := "connection refused: no registry is listening at " + host + "; start one there (`mpakd` serves a registry on 127.0.0.1:5000), " +
		"or point MPAK_REGISTRY=host[/namespace] at the registry you use"
	if !strings.Contains(msg, want) {
		t.Errorf("explained: %s\nwant it to contain: %s", msg, want)
	}
}

// Other registry errors are rendered as text, detail included.
func TestExplainRendersDetail(t *testing.T) {
	err := &errcode.ErrorResponse{Method: "PUT", StatusCode: 400, Errors: errcode.Errors{{
		Code: errcode.ErrorCodeManifestInvalid, Message: "manifest invalid", Detail: map[string]any{"reason": "bad", "at": 3.0}}}}
	got := connect.Explain(err).Error()
	if want := "PUT: 400 MANIFEST_INVALID: manifest invalid (at: 3, reason: bad)"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
