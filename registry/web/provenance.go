package web

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/mpak-oci/mpak/oci/claims"
	"github.com/mpak-oci/mpak/registry/internal/weburl"
)

// provenanceView is the bundle page's Provenance section: who signed, and
// where the bundle says it was built from. Every line is a claim read from
// the registry; Verify is the command that checks it.
type provenanceView struct {
	Signers []signerView
	Source  *sourceView
	Verify  []string
}

type signerView struct {
	What    string // "Signature" or "Provenance attestation" …
	Who     string // a key ID, a keyless identity, or what the format leaves out
	Keyless bool
	KeyID   string
	Issuer  string
	Format  string
	Logged  bool
	// Note explains Who when it is not a name.
	Note string
}

// sourceView is a SLSA provenance. The URLs are set only for http(s)
// addresses: what an attestation claims is not trusted to be a link.
type sourceView struct {
	Repo, RepoURL         string
	Revision, RevisionURL string
	Builder, BuilderURL   string
	Invocation            string
	InvocationURL         string
	BuildType             string
	By                    string
}

// provenanceOf reads a version's stored claims; nil when it has none (or
// they do not parse: the page then says it is unsigned, as the API does).
func provenanceOf(stored []byte, ref string) *provenanceView {
	if len(stored) == 0 {
		return nil
	}
	var c claims.Claims
	if json.Unmarshal(stored, &c) != nil || !c.Signed() {
		return nil
	}
	pv := &provenanceView{}
	verify := map[string]bool{}
	for _, s := range c.Signers {
		sv := signerView{What: "Signature", Format: s.Format, Logged: s.Logged, Keyless: s.Keyless(), Issuer: s.Issuer}
		if s.Kind == claims.KindAttestation {
			sv.What = "Attestation"
			if s.PredicateType == claims.SLSAProvenance {
				sv.What = "SLSA provenance"
			}
		}
		cmd := "mpak bundle verify " + ref
		switch {
		case s.Keyless():
			sv.Who = s.Identity
			cmd += " --identity " + shellQuote(s.Identity) + " --issuer " + shellQuote(s.Issuer)
		case s.KeyID != "":
			sv.Who, sv.KeyID = "key", s.KeyID
			cmd += " --key publisher.pub"
		default:
			// Say what is unknown and what to do, not how formats differ.
			sv.Who = "an unidentified key"
			sv.Note = "this signature does not record which key made it: check it with the publisher's public key, as below"
			cmd += " --key publisher.pub"
		}
		if !verify[cmd] {
			verify[cmd] = true
			pv.Verify = append(pv.Verify, cmd)
		}
		pv.Signers = append(pv.Signers, sv)
	}
	if p, by := c.Provenance(); p != nil {
		src := &sourceView{Repo: p.SourceRepo, RepoURL: weburl.String(p.SourceRepo), Revision: p.SourceRevision,
			Builder: p.BuilderID, BuilderURL: weburl.String(p.BuilderID), Invocation: p.InvocationID,
			InvocationURL: weburl.String(p.InvocationID), BuildType: p.BuildType}
		if src.RepoURL != "" && p.SourceRevision != "" && commitPages[weburl.Host(src.RepoURL)] {
			src.RevisionURL = strings.TrimSuffix(strings.TrimSuffix(src.RepoURL, "/"), ".git") + "/commit/" + url.PathEscape(p.SourceRevision)
		}
		if by.Keyless() {
			src.By = by.Identity
		} else if by.KeyID != "" {
			src.By = "key " + by.KeyID
		}
		pv.Source = src
	}
	return pv
}

// commitPages are the forges whose repository URL + /commit/<sha> shows a
// commit.
var commitPages = map[string]bool{"github.com": true, "gitlab.com": true, "codeberg.org": true, "bitbucket.org": true}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
