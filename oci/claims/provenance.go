package claims

import (
	"encoding/json"
	"strings"
)

// SLSAProvenance is the predicate type of SLSA provenance v1.
const SLSAProvenance = "https://slsa.dev/provenance/v1"

// BuildType is what mpak's provenance says was done: a bundle packed from
// a source revision.
const BuildType = "https://mpak.dev/provenance/bundle/v1"

// Provenance is the part of a SLSA v1 provenance mpak writes and reads:
// where the bundle was built from and by whom.
type Provenance struct {
	SourceRepo     string `json:"source_repo,omitempty"`
	SourceRevision string `json:"source_revision,omitempty"`
	BuilderID      string `json:"builder_id,omitempty"`
	InvocationID   string `json:"invocation_id,omitempty"`
	// BuildType is read from a provenance, never written: what the
	// builder says it did.
	BuildType string `json:"build_type,omitempty"`
}

// ProvenanceFromEnv fills what p leaves empty from a CI's environment
// (GitHub Actions' GITHUB_* variables), read with getenv.
func ProvenanceFromEnv(p Provenance, getenv func(string) string) Provenance {
	server := getenv("GITHUB_SERVER_URL")
	repo := getenv("GITHUB_REPOSITORY")
	if p.SourceRepo == "" && server != "" && repo != "" {
		p.SourceRepo = server + "/" + repo
	}
	if p.SourceRevision == "" {
		p.SourceRevision = getenv("GITHUB_SHA")
	}
	if p.BuilderID == "" && server != "" && getenv("GITHUB_WORKFLOW_REF") != "" {
		p.BuilderID = server + "/" + getenv("GITHUB_WORKFLOW_REF")
	}
	if p.InvocationID == "" && server != "" && repo != "" && getenv("GITHUB_RUN_ID") != "" {
		p.InvocationID = server + "/" + repo + "/actions/runs/" + getenv("GITHUB_RUN_ID")
	}
	return p
}

type slsaResource struct {
	URI    string            `json:"uri"`
	Digest map[string]string `json:"digest,omitempty"`
}

type slsaPredicate struct {
	BuildDefinition struct {
		BuildType          string `json:"buildType"`
		ExternalParameters struct {
			Source slsaResource `json:"source"`
		} `json:"externalParameters"`
		ResolvedDependencies []slsaResource `json:"resolvedDependencies,omitempty"`
	} `json:"buildDefinition"`
	RunDetails slsaRunDetails `json:"runDetails"`
}

// slsaRunDetails is the part of runDetails read and written: the builder
// and the run.
type slsaRunDetails struct {
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"`
	Metadata struct {
		InvocationID string `json:"invocationId,omitempty"`
	} `json:"metadata"`
}

// Predicate is p as a SLSA provenance v1 predicate.
func (p Provenance) Predicate() json.RawMessage {
	var s slsaPredicate
	s.BuildDefinition.BuildType = BuildType
	src := slsaResource{URI: gitURI(p.SourceRepo)}
	if p.SourceRevision != "" {
		src.Digest = map[string]string{"gitCommit": p.SourceRevision}
	}
	s.BuildDefinition.ExternalParameters.Source = src
	if src.URI != "" {
		s.BuildDefinition.ResolvedDependencies = []slsaResource{src}
	}
	s.RunDetails.Builder.ID = p.BuilderID
	s.RunDetails.Metadata.InvocationID = p.InvocationID
	b, _ := json.Marshal(s)
	return b
}

// slsaInput is a SLSA v1 predicate as builders write it: externalParameters
// are each builder's own, so the source is looked for where the common
// builders put it.
type slsaInput struct {
	BuildDefinition struct {
		BuildType            string                     `json:"buildType"`
		ExternalParameters   map[string]json.RawMessage `json:"externalParameters"`
		ResolvedDependencies []slsaResource             `json:"resolvedDependencies"`
	} `json:"buildDefinition"`
	RunDetails slsaRunDetails `json:"runDetails"`
}

// ParseProvenance reads the source and builder of a SLSA v1 predicate. The
// source is externalParameters.source (mpak's, as a resource or a URI),
// else externalParameters.workflow.repository (GitHub Actions'), else the
// first resolved dependency; the revision is the source's gitCommit, else
// that of the resolved dependency from the same repository. Nil when the
// predicate is not SLSA v1 at all.
func ParseProvenance(predicate json.RawMessage) *Provenance {
	var s slsaInput
	if json.Unmarshal(predicate, &s) != nil || s.BuildDefinition.BuildType == "" && s.RunDetails.Builder.ID == "" {
		return nil
	}
	var src slsaResource
	ext := s.BuildDefinition.ExternalParameters
	if json.Unmarshal(ext["source"], &src) != nil {
		var uri string
		if json.Unmarshal(ext["source"], &uri) == nil {
			src = slsaResource{URI: uri}
		}
	}
	if src.URI == "" {
		var wf struct {
			Repository string `json:"repository"`
		}
		if json.Unmarshal(ext["workflow"], &wf) == nil {
			src.URI = wf.Repository
		}
	}
	deps := s.BuildDefinition.ResolvedDependencies
	if src.URI == "" && len(deps) > 0 {
		src = deps[0]
	}
	repo := repoOf(src.URI)
	rev := src.Digest["gitCommit"]
	for _, d := range deps {
		if rev == "" && repoOf(d.URI) == repo {
			rev = d.Digest["gitCommit"]
		}
	}
	return &Provenance{
		SourceRepo:     repo,
		SourceRevision: rev,
		BuilderID:      s.RunDetails.Builder.ID,
		InvocationID:   s.RunDetails.Metadata.InvocationID,
		BuildType:      s.BuildDefinition.BuildType,
	}
}

// repoOf is the repository of a SLSA source URI: without the git+ scheme
// prefix and without an @ref suffix (git+https://host/o/r@refs/heads/main);
// an @ before the path is a user (git+ssh://git@host/o/r) and stays.
func repoOf(uri string) string {
	uri = strings.TrimPrefix(uri, "git+")
	path := 0
	if scheme := strings.Index(uri, "://"); scheme >= 0 {
		if slash := strings.Index(uri[scheme+3:], "/"); slash >= 0 {
			path = scheme + 3 + slash
		} else {
			return uri
		}
	}
	if at := strings.Index(uri[path:], "@"); at >= 0 {
		uri = uri[:path+at]
	}
	return uri
}

// gitURI is SLSA's git+https://… form of a repository URL.
func gitURI(repo string) string {
	if repo == "" || strings.HasPrefix(repo, "git+") {
		return repo
	}
	return "git+" + repo
}

func (p *Provenance) equal(o *Provenance) bool {
	if p == nil || o == nil {
		return p == o
	}
	return *p == *o
}
