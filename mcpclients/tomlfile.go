package mcpclients

import (
	"bytes"
	"fmt"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
)

// tomlDoc is a TOML configuration file (Codex's config.toml). An entry
// is one table, [mcp_servers.NAME], with its sub-tables; editing replaces
// or appends that block of lines and leaves every other byte alone.
// go-toml's parser gives the offsets of the table headers.
type tomlDoc struct {
	data    []byte
	key     string
	servers map[string]any
	headers []tomlHeader
	nl      string // the file's line ending
}

type tomlHeader struct {
	start int // offset of the line the header is on
	path  []string
}

func parseTOML(data []byte, key string) (*tomlDoc, error) {
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	d := &tomlDoc{data: data, key: key, nl: lineEnding(data)}
	if s, ok := doc[key]; ok {
		m, ok := s.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%q is not a table", key)
		}
		d.servers = m
	}
	p := unstable.Parser{}
	p.Reset(data)
	for p.NextExpression() {
		e := p.Expression()
		if e.Kind != unstable.Table && e.Kind != unstable.ArrayTable {
			continue
		}
		var h tomlHeader
		it := e.Key()
		for it.Next() {
			k := it.Node()
			if h.path == nil {
				h.start = int(k.Raw.Offset)
				for h.start > 0 && data[h.start-1] != '\n' {
					h.start--
				}
			}
			h.path = append(h.path, string(k.Data))
		}
		d.headers = append(d.headers, h)
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("not valid TOML: %w", err)
	}
	return d, nil
}

func (d *tomlDoc) names() []string {
	var out []string
	for name := range d.servers {
		out = append(out, name)
	}
	return out
}

func (d *tomlDoc) entry(name string) (Entry, bool, error) {
	v, ok := d.servers[name]
	if !ok {
		return Entry{}, false, nil
	}
	// Round-trip through TOML to read the table into an Entry.
	b, err := toml.Marshal(v)
	if err != nil {
		return Entry{}, true, fmt.Errorf("server %q: %w", name, err)
	}
	var e Entry
	if err := toml.Unmarshal(b, &e); err != nil {
		return Entry{}, true, fmt.Errorf("server %q: %w", name, err)
	}
	return e, true, nil
}

// block finds the lines of [key.name] and its sub-tables: from its
// header to the next table's header, less the blank and comment lines
// just before that header (they introduce it). ok is false when the
// entry has no header of its own (written inline or as dotted keys).
func (d *tomlDoc) block(name string) (start, end int, ok bool, err error) {
	in := func(h tomlHeader) bool {
		return len(h.path) >= 2 && h.path[0] == d.key && h.path[1] == name
	}
	start, end = -1, len(d.data)
	for i, h := range d.headers {
		switch {
		case in(h) && start < 0:
			start = h.start
		case in(h) && end != len(d.data):
			return 0, 0, false, fmt.Errorf("the tables of server %q are not together in the file: edit it by hand", name)
		case !in(h) && start >= 0 && end == len(d.data):
			end = d.headers[i].start
		}
	}
	if start < 0 {
		return 0, 0, false, nil
	}
	// Leave the comments and blank lines that lead into the next table.
	for end > start {
		lineStart := bytes.LastIndexByte(d.data[:end-1], '\n') + 1
		line := bytes.TrimSpace(d.data[lineStart:end])
		if lineStart <= start || (len(line) > 0 && line[0] != '#') {
			break
		}
		end = lineStart
	}
	return start, end, true, nil
}

func (d *tomlDoc) render(name string, e Entry) ([]byte, error) {
	body, err := toml.Marshal(e)
	if err != nil {
		return nil, err
	}
	head, err := toml.Marshal(map[string]map[string]int{d.key: {name: 0}})
	if err != nil {
		return nil, err
	}
	// head is "[key]\nname = 0\n"; the quoted key is what follows the
	// newline, up to " = ".
	_, rest, _ := bytes.Cut(head, []byte("\n"))
	quoted, _, _ := bytes.Cut(rest, []byte(" = "))
	var b bytes.Buffer
	fmt.Fprintf(&b, "[%s.%s]\n", d.key, quoted)
	b.Write(body)
	return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte(d.nl)), nil
}

// set returns the file with [key.name] replaced by the entry, or the
// entry appended after a blank line.
func (d *tomlDoc) set(name string, e Entry) ([]byte, error) {
	start, end, ok, err := d.block(name)
	if err != nil {
		return nil, err
	}
	if !ok && d.servers[name] != nil {
		return nil, fmt.Errorf("server %q is written inline, not as a [%s.%s] table: edit the file by hand", name, d.key, name)
	}
	block, err := d.render(name, e)
	if err != nil {
		return nil, err
	}
	var out []byte
	if ok {
		out = append(out, d.data[:start]...)
		out = append(out, block...)
		return append(out, d.data[end:]...), nil
	}
	out = append(out, d.data...)
	if len(out) > 0 && out[len(out)-1] != '\n' {
		out = append(out, d.nl...)
	}
	if len(bytes.TrimSpace(out)) > 0 {
		out = append(out, d.nl...)
	}
	return append(out, block...), nil
}

// remove returns the file without [key.name]'s lines.
func (d *tomlDoc) remove(name string) ([]byte, bool, error) {
	start, end, ok, err := d.block(name)
	if err != nil || !ok {
		if err == nil && d.servers[name] != nil {
			err = fmt.Errorf("server %q is written inline, not as a [%s.%s] table: edit the file by hand", name, d.key, name)
		}
		return nil, false, err
	}
	out := append([]byte{}, d.data[:start]...)
	rest := d.data[end:]
	// Drop the blank line that separated the block from what came
	// before, when one follows it too or nothing does.
	if blank := []byte(d.nl + d.nl); bytes.HasSuffix(out, blank) && (len(rest) == 0 || rest[0] == '\n' || rest[0] == '\r') {
		out = out[:len(out)-len(d.nl)]
	}
	return append(out, rest...), true, nil
}
