// Command mcpbdiff builds the differential corpus of manifest.json variants
// in mcpb/testdata/mcpbdiff and records how the reference mcpb CLI
// judges each one, so that `go test ./mcpb` can hold mpak's validation
// to the CLI's without needing node. See regen.sh for how to run it.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Verdict is the CLI's judgement of one case.
type Verdict struct {
	// CLI is "accept" (mcpb validate exits 0) or "reject" (exits 1).
	CLI string `json:"cli"`
	// Output is the CLI's explanation of a rejection, abridged.
	Output string `json:"output,omitempty"`
}

// pngBytes is the PNG signature and an IHDR chunk start: the CLI only
// reads the signature.
var pngBytes = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func main() {
	out := flag.String("out", "mcpb/testdata/mcpbdiff", "directory for cases.json and verdicts.json")
	cli := flag.String("mcpb", "", "the mcpb CLI's entry point (node_modules/@anthropic-ai/mcpb/dist/cli/cli.js); empty writes cases.json only")
	version := flag.String("mcpb-version", "", "the CLI's version, recorded in verdicts.json")
	flag.Parse()

	cases := generate()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	if err := writeLines(filepath.Join(*out, "cases.json"), len(cases), func(i int) (string, any) { return "", cases[i] }); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %d cases", len(cases))
	if *cli == "" {
		return
	}

	verdicts, err := runCLI(*cli, cases)
	if err != nil {
		log.Fatal(err)
	}
	accepted := 0
	for _, v := range verdicts {
		if v.CLI == "accept" {
			accepted++
		}
	}
	header := map[string]string{"generator": "hack/mcpbdiff", "mcpb": *version, "command": "mcpb validate <dir> (validateManifest, via hack/mcpbdiff/validate.mjs)"}
	err = writeLines(filepath.Join(*out, "verdicts.json"), len(cases)+1, func(i int) (string, any) {
		if i == 0 {
			return "_about", header
		}
		return cases[i-1].Name, verdicts[i-1]
	})
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("the CLI accepts %d of %d", accepted, len(cases))
}

// runCLI writes each case to a directory of its own and has validate.mjs
// run the CLI's `validate` on all of them: the directory form, so that the
// CLI's icon checks see the files.
func runCLI(pkg string, cases []Case) ([]Verdict, error) {
	root, err := os.MkdirTemp("", "mcpbdiff-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	var list strings.Builder
	for i, c := range cases {
		dir := filepath.Join(root, strconv.Itoa(i))
		if err := writeCase(dir, c); err != nil {
			return nil, fmt.Errorf("%s: %w", c.Name, err)
		}
		list.WriteString(dir + "\n")
	}
	listFile := filepath.Join(root, "dirs.txt")
	if err := os.WriteFile(listFile, []byte(list.String()), 0o644); err != nil {
		return nil, err
	}
	_, self, _, _ := runtime.Caller(0)
	cmd := exec.Command("node", filepath.Join(filepath.Dir(self), "validate.mjs"), pkg, listFile)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("validate.mjs: %w", err)
	}
	byDir := map[string]Verdict{}
	for _, line := range bytes.Split(bytes.TrimSpace(out), []byte("\n")) {
		var r struct {
			Dir    string `json:"dir"`
			OK     bool   `json:"ok"`
			Output string `json:"output"`
		}
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("validate.mjs printed %q: %w", line, err)
		}
		v := Verdict{CLI: "accept"}
		if !r.OK {
			v = Verdict{CLI: "reject", Output: abridge(r.Output)}
		}
		byDir[r.Dir] = v
	}
	verdicts := make([]Verdict, len(cases))
	for i, c := range cases {
		v, ok := byDir[filepath.Join(root, strconv.Itoa(i))]
		if !ok {
			return nil, fmt.Errorf("%s: no verdict from validate.mjs", c.Name)
		}
		verdicts[i] = v
	}
	return verdicts, nil
}

func writeCase(dir string, c Case) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), c.Manifest, 0o644); err != nil {
		return err
	}
	for name, content := range c.Files {
		data := []byte(content)
		if content == pngMarker {
			data = pngBytes
		}
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// abridge keeps the CLI's issue lines.
func abridge(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "ERROR: Manifest validation failed") || strings.HasPrefix(line, "Manifest schema validation passes") {
			continue
		}
		keep = append(keep, strings.TrimPrefix(line, "- "))
	}
	s = strings.Join(keep, "; ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

// writeLines writes a JSON array (or object, when key returns names) with
// one element per line, so that a regeneration diffs line by line.
func writeLines(path string, n int, elem func(i int) (string, any)) error {
	var b bytes.Buffer
	open, end := "[\n", "]\n"
	if k, _ := elem(0); k != "" {
		open, end = "{\n", "}\n"
	}
	b.WriteString(open)
	for i := range n {
		key, v := elem(i)
		val, err := marshal(v)
		if err != nil {
			return err
		}
		if key != "" {
			k, _ := marshal(key)
			b.Write(k)
			b.WriteString(": ")
		}
		b.Write(val)
		if i < n-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(end)
	return os.WriteFile(path, b.Bytes(), 0o644)
}

// marshal is json.Marshal without HTML escaping, so that "<png>" and
// "${locale}" read as written.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}
