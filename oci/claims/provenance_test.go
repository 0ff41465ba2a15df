package claims

import "testing"

func TestProvenanceFromEnv(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"GITHUB_SERVER_URL":   "https://github.com",
		"GITHUB_REPOSITORY":   "acme/weather",
		"GITHUB_SHA":          "feedface",
		"GITHUB_WORKFLOW_REF": "acme/weather/.github/workflows/release.yml@refs/tags/v1",
		"GITHUB_RUN_ID":       "42",
	}
	p := ProvenanceFromEnv(Provenance{SourceRevision: "explicit"}, func(k string) string { return env[k] })
	want := Provenance{SourceRepo: "https://github.com/acme/weather", SourceRevision: "explicit",
		BuilderID:    "https://github.com/acme/weather/.github/workflows/release.yml@refs/tags/v1",
		InvocationID: "https://github.com/acme/weather/actions/runs/42"}
	if p != want {
		t.Errorf("from env: %+v, want %+v (flags win over the environment)", p, want)
	}
	want.BuildType = BuildType
	if back := ParseProvenance(p.Predicate()); back == nil || *back != want {
		t.Errorf("round trip: %+v, want %+v", back, want)
	}
}

func TestRepoOf(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"git+https://github.com/acme/weather@refs/tags/v1.0.0": "https://github.com/acme/weather",
		"git+https://git.example/acme/weather":                 "https://git.example/acme/weather",
		"git+ssh://git@git.example/acme/weather@main":          "ssh://git@git.example/acme/weather",
		"https://git.example":                                  "https://git.example",
		"":                                                     "",
	} {
		if got := repoOf(in); got != want {
			t.Errorf("repoOf(%q) = %q, want %q", in, got, want)
		}
	}
}
