package scan

import (
	"bytes"
	"fmt"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// purlTypes maps OSV ecosystems to package-url types.
var purlTypes = map[string]string{NPM: "npm", PyPI: "pypi", Go: "golang"}

// sbom is a CycloneDX 1.5 JSON document of the bundle and its locked
// dependencies, and the number of components.
func sbom(b *bundle) ([]byte, int, error) {
	m := b.archive.Manifest
	doc := cdx.NewBOM()
	doc.Metadata = &cdx.Metadata{
		Tools: &cdx.ToolsChoice{Components: &[]cdx.Component{{Type: cdx.ComponentTypeApplication, Name: "mpak", Version: Version}}},
		Component: &cdx.Component{Type: cdx.ComponentTypeApplication, Name: m.Name, Version: m.Version,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: b.archive.SHA256}}},
	}
	var comps []cdx.Component
	seen := map[string]bool{}
	for _, d := range dependencies(b) {
		purl := fmt.Sprintf("pkg:%s/%s@%s", purlTypes[d.Ecosystem], purlName(d), d.Version)
		if d.Name == "" || seen[purl] {
			continue
		}
		seen[purl] = true
		comps = append(comps, cdx.Component{Type: cdx.ComponentTypeLibrary, Name: d.Name, Version: d.Version,
			PackageURL: purl, BOMRef: purl})
	}
	doc.Components = &comps
	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	if err := enc.EncodeVersion(doc, cdx.SpecVersion1_5); err != nil {
		return nil, 0, fmt.Errorf("writing the SBOM: %w", err)
	}
	return buf.Bytes(), len(comps), nil
}

// purlName escapes an npm scope's @ as package-url wants.
func purlName(d dependency) string {
	if d.Ecosystem == NPM && strings.HasPrefix(d.Name, "@") {
		return "%40" + d.Name[1:]
	}
	return d.Name
}
