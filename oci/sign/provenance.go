package sign

import (
	"encoding/json"
	"os"
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
}

// ProvenanceFromEnv fills what p leaves empty from a CI's environment
// (GitHub Actions' GITHUB_* variables).
func ProvenanceFromEnv(p Provenance) Provenance {
	server := os.Getenv("GITHUB_SERVER_URL")
	repo := os.Getenv("GITHUB_REPOSITORY")
	if p.SourceRepo == "" && server != "" && repo != "" {
		p.SourceRepo = server + "/" + repo
	}
	if p.SourceRevision == "" {
		p.SourceRevision = os.Getenv("GITHUB_SHA")
	}
	if p.BuilderID == "" && server != "" && os.Getenv("GITHUB_WORKFLOW_REF") != "" {
		p.BuilderID = server + "/" + os.Getenv("GITHUB_WORKFLOW_REF")
	}
	if p.InvocationID == "" && server != "" && repo != "" && os.Getenv("GITHUB_RUN_ID") != "" {
		p.InvocationID = server + "/" + repo + "/actions/runs/" + os.Getenv("GITHUB_RUN_ID")
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
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
		Metadata struct {
			InvocationID string `json:"invocationId,omitempty"`
		} `json:"metadata"`
	} `json:"runDetails"`
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

// ParseProvenance reads the source and builder of a SLSA v1 predicate:
// mpak's layout, and the common one of externalParameters.source or the
// first resolved dependency.
func ParseProvenance(predicate json.RawMessage) *Provenance {
	var s slsaPredicate
	if json.Unmarshal(predicate, &s) != nil {
		return nil
	}
	src := s.BuildDefinition.ExternalParameters.Source
	if src.URI == "" && len(s.BuildDefinition.ResolvedDependencies) > 0 {
		src = s.BuildDefinition.ResolvedDependencies[0]
	}
	return &Provenance{
		SourceRepo:     strings.TrimPrefix(src.URI, "git+"),
		SourceRevision: src.Digest["gitCommit"],
		BuilderID:      s.RunDetails.Builder.ID,
		InvocationID:   s.RunDetails.Metadata.InvocationID,
	}
}

// gitURI is SLSA's git+https://… form of a repository URL.
func gitURI(repo string) string {
	if repo == "" || strings.HasPrefix(repo, "git+") {
		return repo
	}
	return "git+" + repo
}
