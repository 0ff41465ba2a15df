package remote_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mpak-oci/mpak/oci/ref"
	"github.com/mpak-oci/mpak/oci/remote"
	"github.com/mpak-oci/mpak/registry/registrytest"
	"oras.land/oras-go/v2/registry"
)

// An unknown repository on a real registry gets the hint to check the name.
func TestExplainUnknownRepository(t *testing.T) {
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	host := registrytest.Distribution(t)
	r, err := ref.Parse(host+"/nobody/here", ref.Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := remote.Options{}.Repository(r)
	if err != nil {
		t.Fatal(err)
	}
	if !repo.PlainHTTP {
		t.Error("a loopback registry was not reached over plain HTTP")
	}
	_, err = registry.Tags(context.Background(), repo)
	if err == nil {
		t.Fatal("tags of an unknown repository succeeded")
	}
	if msg := remote.Explain(err).Error(); !strings.Contains(msg, "nothing has been pushed") {
		t.Errorf("explained: %s", msg)
	}
	if remote.Explain(nil) != nil {
		t.Error("Explain(nil) != nil")
	}
}
