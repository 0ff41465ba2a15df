package scan

import (
	"encoding/json"
	"time"

	"github.com/mpak-oci/mpak/mediatypes"
)

// Status is a control's outcome. Only pass counts towards a level: a
// skipped control (its input is missing) does not.
type Status string

const (
	Pass  Status = "pass"
	Fail  Status = "fail"
	Skip  Status = "skip"
	Error Status = "error"
)

// Evidence points at what a control found.
type Evidence struct {
	File    string `json:"file,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Result is one control's outcome.
type Result struct {
	ID          string     `json:"id"`
	Level       int        `json:"level"`
	Title       string     `json:"title"`
	Status      Status     `json:"status"`
	Message     string     `json:"message,omitempty"`
	Evidence    []Evidence `json:"evidence,omitempty"`
	Remediation string     `json:"remediation,omitempty"`
}

// Report is a scan's outcome, the body of an application/vnd.mpak.scan.v1+json
// referrer.
type Report struct {
	MediaType string `json:"mediaType"`
	Scanner   string `json:"scanner"`
	Rules     int    `json:"rules"`
	Bundle    struct {
		Name    string `json:"name"`
		Version string `json:"version"`
		SHA256  string `json:"sha256"`
	} `json:"bundle"`
	CreatedAt time.Time `json:"created_at"`
	// Level is the highest level whose controls, and all lower levels',
	// all passed; Risk summarises the failures.
	Level    int            `json:"level"`
	Risk     string         `json:"risk"`
	Counts   map[Status]int `json:"counts"`
	Controls []Result       `json:"controls"`

	// SBOM is the CycloneDX document generated on the way, for attaching
	// as its own referrer.
	SBOM []byte `json:"-"`
}

// Risks, from no failure to a leaked secret or a malicious hook.
const (
	RiskLow      = "low"
	RiskMedium   = "medium"
	RiskHigh     = "high"
	RiskCritical = "critical"
)

// critical are controls whose failure means harm now, not a weakness.
var critical = map[string]bool{"L1.secrets": true, "L1.install-hooks": true}

func (r *Report) finish(maxLevel int) {
	r.MediaType = mediatypes.Scan
	r.Counts = map[Status]int{Pass: 0, Fail: 0, Skip: 0, Error: 0}
	passed := map[int]bool{}
	for l := 1; l <= maxLevel; l++ {
		passed[l] = true
	}
	r.Risk = RiskLow
	raise := func(to string) {
		order := map[string]int{RiskLow: 0, RiskMedium: 1, RiskHigh: 2, RiskCritical: 3}
		if order[to] > order[r.Risk] {
			r.Risk = to
		}
	}
	for _, c := range r.Controls {
		r.Counts[c.Status]++
		if c.Status != Pass {
			passed[c.Level] = false
		}
		if c.Status != Fail {
			continue
		}
		switch {
		case critical[c.ID]:
			raise(RiskCritical)
		case c.Level == 1 || c.ID == "L2.vulnerabilities":
			raise(RiskHigh)
		case c.Level == 2:
			raise(RiskMedium)
		}
	}
	r.Level = 0
	for l := 1; l <= maxLevel && passed[l]; l++ {
		r.Level = l
	}
}

// JSON is the report as attached and printed.
func (r *Report) JSON() ([]byte, error) { return json.MarshalIndent(r, "", "  ") }
