// Command vulncheck runs govulncheck (JSON output) and fails on every
// vulnerability that our code reaches, unless hack/vulncheck/accepted.txt
// lists it, with a reason, for the exact module version found. Accepted
// findings are still printed on every run, so they stay visible; entries
// that no longer match anything are reported as stale.
//
//	go run ./hack/vulncheck -govulncheck PATH -db file:///DIR -accept FILE -- ./...
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
	Position *struct {
		Filename string `json:"filename"`
		Line     int    `json:"line"`
		Column   int    `json:"column"`
	} `json:"position"`
}

type message struct {
	Config *struct {
		ScannerVersion string `json:"scanner_version"`
		DB             string `json:"db"`
		DBLastModified string `json:"db_last_modified"`
		GoVersion      string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type finding struct {
	id, module, version, fixed, trace string
}

func main() {
	tool := flag.String("govulncheck", "govulncheck", "the govulncheck binary")
	db := flag.String("db", "", "vulnerability database URL (file:///...)")
	acceptFile := flag.String("accept", "hack/vulncheck/accepted.txt", "accepted findings")
	flag.Parse()
	if err := run(*tool, *db, *acceptFile, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "vulncheck:", err)
		os.Exit(1)
	}
}

// accepted maps "ID module@version" to its reason.
func readAccepted(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 3 || !strings.Contains(fields[1], "@") {
			return nil, fmt.Errorf("%s:%d: want \"ID module@version reason\"", path, n)
		}
		out[fields[0]+" "+fields[1]] = strings.Join(fields[2:], " ")
	}
	return out, sc.Err()
}

func run(tool, db, acceptFile string, patterns []string) error {
	accepted, err := readAccepted(acceptFile)
	if err != nil {
		return err
	}
	args := []string{"-format", "json"}
	if db != "" {
		args = append(args, "-db", db)
	}
	cmd := exec.Command(tool, append(args, patterns...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	summaries := map[string]string{}
	found := map[string]finding{} // by "ID module@version"
	dec := json.NewDecoder(stdout)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return fmt.Errorf("reading govulncheck output: %v", err)
		}
		switch {
		case m.Config != nil:
			fmt.Printf("govulncheck %s, %s, database %s (updated %s)\n",
				m.Config.ScannerVersion, m.Config.GoVersion, m.Config.DB, m.Config.DBLastModified)
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != "":
			// A symbol-level finding: our code calls the vulnerable symbol.
			t := m.Finding.Trace
			key := m.Finding.OSV + " " + t[0].Module + "@" + t[0].Version
			if _, ok := found[key]; !ok {
				found[key] = finding{id: m.Finding.OSV, module: t[0].Module, version: t[0].Version,
					fixed: m.Finding.FixedVersion, trace: describe(t)}
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("%s: %v", tool, err)
	}

	keys := make([]string, 0, len(found))
	for k := range found {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var failed []string
	for _, k := range keys {
		f := found[k]
		fixed := "fixed in " + f.fixed
		if f.fixed == "" {
			fixed = "no fixed version"
		}
		verdict := "NOT ACCEPTED"
		if reason, ok := accepted[k]; ok {
			verdict = "accepted: " + reason
		} else {
			failed = append(failed, k)
		}
		fmt.Printf("\n%s %s@%s (%s): %s\n  called from %s\n  %s\n",
			f.id, f.module, f.version, fixed, summaries[f.id], f.trace, verdict)
	}
	var stale []string
	for k := range accepted {
		if _, ok := found[k]; !ok {
			stale = append(stale, k)
		}
	}
	sort.Strings(stale)
	for _, k := range stale {
		fmt.Printf("\nWARNING: %s lists %s, which govulncheck no longer reports: remove it\n", acceptFile, k)
	}
	fmt.Printf("\ngovulncheck: %d vulnerabilities reached by our code, %d accepted in %s, %d not accepted\n",
		len(found), len(found)-len(failed), acceptFile, len(failed))
	if len(failed) > 0 {
		return fmt.Errorf("vulnerabilities reached by our code and not accepted: %s (upgrade the module, or list it in %s with a reason)",
			strings.Join(failed, ", "), acceptFile)
	}
	return nil
}

// describe names the frame in our module nearest to the vulnerable symbol
// (the trace runs from the symbol to our code) and the symbol itself.
func describe(t []frame) string {
	sym := t[0].Package + "." + t[0].Function
	if t[0].Receiver != "" {
		sym = t[0].Package + "." + strings.TrimPrefix(t[0].Receiver, "*") + "." + t[0].Function
	}
	for _, fr := range t {
		if fr.Version == "" && fr.Module != "stdlib" && fr.Position != nil {
			return fmt.Sprintf("%s:%d (%s.%s), reaching %s", fr.Position.Filename, fr.Position.Line, fr.Package, fr.Function, sym)
		}
	}
	return sym
}
