package benchsearch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/mpak-oci/mpak/registry/catalog"
)

// GeneratorVersion changes whenever Generate's output for the same
// parameters changes, so cached fixtures are rebuilt.
const GeneratorVersion = 2

// Catalog is a generated catalog: every repository's versions, in the
// order they are indexed, and download counts.
type Catalog struct {
	Repos     []Repo
	Downloads []catalog.Download
	// DF is each word's document frequency over the latest versions: how
	// many bundles a one-word search for it matches (exactly, not as a
	// prefix).
	DF map[string]int
}

// Repo is one repository's versions.
type Repo struct {
	Versions []catalog.Version
	// Latest indexes Versions: the version a search shows.
	Latest int
	// Downloads is the repository's total.
	Downloads int64
}

// Versions counts the catalog's versions.
func (c *Catalog) Versions() int {
	n := 0
	for _, r := range c.Repos {
		n += len(r.Versions)
	}
	return n
}

// commonWords are real words, most frequent first: the head of the Zipf
// distribution every text field draws from, so a search for one of the
// first few matches a large share of the catalog.
var commonWords = strings.Fields(`
	server data api tools file search query client github database files
	web cloud code git issues project manage list create read write user
	http json docs notes calendar email slack weather forecast maps storage
	postgres sqlite redis kubernetes docker aws azure gcp s3 bucket browser
	screenshot pdf image images audio video transcript translate summary
	memory vector embeddings index knowledge graph ticket jira linear notion
	confluence drive sheets spreadsheet excel csv markdown html scrape crawl
	fetch url links rss news stock finance crypto price invoice payments
	stripe shopify orders inventory product customer crm hubspot salesforce
	analytics metrics logs traces monitoring alerts incidents pagerduty
	grafana prometheus sentry errors deploy build pipeline ci tests lint
	format compile terminal shell command process system time timezone clock
	math calculator units convert currency language grammar spell dictionary
	wikipedia arxiv papers research scholar citations books library music
	spotify playlist podcast youtube twitter reddit discord telegram whatsapp
	sms phone contacts meetings zoom teams chat messages threads channels
	repository branches commits pull requests review diff patch release
	version package npm pypi cargo registry container image oci kubernetes
	cluster nodes pods helm terraform ansible config secrets vault keys
	tokens auth oauth login users roles permissions audit policy compliance
	security scan vulnerability sbom license health fitness recipes food
	travel flights hotels booking events tickets sports scores games chess
	education courses quiz flashcards todo tasks reminders habits journal
	diary blog cms wordpress ghost static site generator templates email
	newsletter marketing seo ads campaigns social media posts schedule
`)

// verbs start tool names: get_forecast, list_issues.
var verbs = strings.Fields(`get list create update delete search find fetch read write run query
	send upload download sync export import open close start stop check validate convert`)

// tailWords is how many synthetic words follow the common ones: the long
// tail, where selective queries find a few dozen bundles.
const tailWords = 6000

// vocabulary is commonWords then tailWords synthetic, pronounceable words.
func vocabulary(r *rand.Rand) []string {
	seen := map[string]bool{}
	var words []string
	for _, w := range commonWords {
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	cons := []string{"b", "c", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "tr", "st", "pl", "qu"}
	vows := []string{"a", "e", "i", "o", "u", "ai", "ou", "ea"}
	for want := len(words) + tailWords; len(words) < want; {
		var b strings.Builder
		for range 2 + r.IntN(2) {
			b.WriteString(cons[r.IntN(len(cons))])
			b.WriteString(vows[r.IntN(len(vows))])
		}
		b.WriteString(cons[r.IntN(len(cons))])
		if w := b.String(); !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// Generate makes repos repositories of versionsPer versions each (at most
// 9), deterministically from seed. Each version's text differs a little
// from the previous one, so a search must use the latest's; one
// repository in ten has a prerelease above its latest release.
func Generate(seed uint64, repos, versionsPer int) *Catalog {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	vocab := vocabulary(r)
	zipf := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	word := func() string { return vocab[zipf.Uint64()] }
	words := func(n int) []string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = word()
		}
		return ws
	}
	orgs := make([]string, 400)
	for i := range orgs {
		orgs[i] = fmt.Sprintf("%s%s", vocab[r.IntN(len(vocab))], []string{"", "labs", "io", "hq", "dev"}[r.IntN(5)])
	}

	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	cat := &Catalog{DF: map[string]int{}}
	usedNames := map[string]bool{}
	for i := range repos {
		org := orgs[r.IntN(len(orgs))]
		name := word() + "-" + word()
		if usedNames[org+"/"+name] {
			name = fmt.Sprintf("%s-%d", name, i)
		}
		usedNames[org+"/"+name] = true
		repository := org + "/" + name

		serverType, builds := serverShape(r)
		level := []int{0, 0, 0, 1, 1, 2, 2, 3, 4}[r.IntN(9)]
		signed := r.IntN(10) < 3
		topic := words(2)
		keywords := dedupe(append(topic[:1:1], words(2+r.IntN(4))...))
		tools := make([]catalog.Tool, 2+r.IntN(7))
		for t := range tools {
			obj := word()
			tools[t] = catalog.Tool{
				Name:        verbs[r.IntN(len(verbs))] + "_" + obj,
				Description: "Returns the " + obj + " " + strings.Join(words(3+r.IntN(6)), " ") + ".",
			}
		}
		published := base.Add(time.Duration(r.IntN(500*24)) * time.Hour)
		prerelease := r.IntN(10) == 0

		repo := Repo{}
		for v := range versionsPer {
			version := fmt.Sprintf("%d.%d.0", 1+v/3, v%3)
			if prerelease && v == versionsPer-1 && v > 0 {
				version = fmt.Sprintf("%d.%d.0-rc.1", 1+v/3, v%3)
			}
			// Descriptions drift between versions; names, tools and
			// keywords mostly stay.
			desc := fmt.Sprintf("%s %s %s for %s", title(topic[0]), topic[1], strings.Join(words(4+r.IntN(8)), " "), word())
			long := strings.Join(words(20+r.IntN(40)), " ")
			vtools := tools
			if v > 0 && r.IntN(3) == 0 {
				vtools = append(tools[:len(tools):len(tools)], catalog.Tool{Name: verbs[r.IntN(len(verbs))] + "_" + word()})
			}
			ver := catalog.Version{
				Repository:      repository,
				Version:         version,
				Tag:             version,
				Digest:          digest(repository, version, "index"),
				Name:            name,
				DisplayName:     title(strings.ReplaceAll(name, "-", " ")),
				Description:     desc,
				LongDescription: long,
				Keywords:        keywords,
				Author:          org,
				License:         []string{"MIT", "Apache-2.0", "BSD-3-Clause", "MPL-2.0"}[r.IntN(4)],
				Homepage:        "https://" + org + ".example.com/" + name,
				SourceURL:       "https://github.com/" + org + "/" + name,
				ServerType:      serverType,
				ManifestVersion: "0.3",
				Tools:           vtools,
				Signed:          signed,
				Level:           level,
				Provenance:      provenance(signed, org, name, version),
				PublishedAt:     published,
				IndexedAt:       published.Add(time.Minute),
			}
			for _, p := range builds {
				ver.Builds = append(ver.Builds, catalog.Build{
					Platform:       p,
					ManifestDigest: digest(repository, version, p, "manifest"),
					LayerDigest:    digest(repository, version, p, "layer"),
					Size:           int64(200_000 + r.IntN(20_000_000)),
				})
			}
			ver.Manifest = manifestJSON(&ver)
			repo.Versions = append(repo.Versions, ver)
			if !catalog.IsPrerelease(version) {
				repo.Latest = v
			}
			published = published.Add(time.Duration(1+r.IntN(60*24)) * time.Hour)
		}

		// Downloads: heavy-tailed per repository, spread over a few
		// versions, platforms and days.
		total := int64(r.ExpFloat64()*r.ExpFloat64()*200) + int64(r.IntN(3))
		if r.IntN(500) == 0 {
			total += int64(50_000 + r.IntN(500_000))
		}
		for left := total; left > 0; {
			n := min(left, 1+int64(r.IntN(int(total))))
			v := repo.Versions[r.IntN(len(repo.Versions))]
			cat.Downloads = append(cat.Downloads, catalog.Download{
				Repository: repository,
				Version:    v.Version,
				Platform:   v.Builds[r.IntN(len(v.Builds))].Platform,
				Day:        base.AddDate(0, 0, r.IntN(600)),
				Count:      n,
			})
			left -= n
		}
		repo.Downloads = total
		for w := range TextWords(&repo.Versions[repo.Latest]) {
			cat.DF[w]++
		}
		cat.Repos = append(cat.Repos, repo)
	}
	return cat
}

// serverShape picks a server type and its builds' platforms.
func serverShape(r *rand.Rand) (string, []string) {
	switch n := r.IntN(100); {
	case n < 45:
		return "node", []string{"any"}
	case n < 75:
		return "python", []string{"any"}
	case n < 82:
		return "python", []string{"linux/amd64", "darwin/arm64", "windows/amd64"}
	case n < 92:
		all := []string{"linux/amd64", "linux/arm64", "darwin/arm64", "darwin/amd64", "windows/amd64"}
		return "binary", all[:2+r.IntN(4)]
	default:
		return "uv", []string{"any"}
	}
}

// TextWords is the set of words of what a search matches in v: name,
// repository, display name, description, long description, keywords,
// tool names and descriptions, split on anything but letters and digits
// (the generator writes lowercase ASCII only).
func TextWords(v *catalog.Version) map[string]bool {
	set := map[string]bool{}
	add := func(s string) {
		for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
		}) {
			set[w] = true
		}
	}
	add(v.Repository)
	add(v.Name)
	add(v.DisplayName)
	add(v.Description)
	add(v.LongDescription)
	for _, k := range v.Keywords {
		add(k)
	}
	for _, t := range v.Tools {
		add(t.Name)
		add(t.Description)
	}
	return set
}

// WordsByDF returns words whose document frequency is within [lo, hi],
// most frequent first (ties alphabetical), at most n of them.
func (c *Catalog) WordsByDF(lo, hi, n int) []string {
	var ws []string
	for w, df := range c.DF {
		if df >= lo && df <= hi && len(w) > 2 {
			ws = append(ws, w)
		}
	}
	sort.Slice(ws, func(i, j int) bool {
		if c.DF[ws[i]] != c.DF[ws[j]] {
			return c.DF[ws[i]] > c.DF[ws[j]]
		}
		return ws[i] < ws[j]
	})
	if len(ws) > n {
		// Spread the picks over the range rather than its top.
		step := float64(len(ws)) / float64(n)
		picked := make([]string, n)
		for i := range picked {
			picked[i] = ws[int(float64(i)*step)]
		}
		ws = picked
	}
	return ws
}

// title capitalizes each word's first letter (ASCII only, as generated).
func title(s string) string {
	b := []byte(s)
	for i := range b {
		if (i == 0 || b[i-1] == ' ') && b[i] >= 'a' && b[i] <= 'z' {
			b[i] -= 'a' - 'A'
		}
	}
	return string(b)
}

func dedupe(ws []string) []string {
	seen := map[string]bool{}
	out := ws[:0]
	for _, w := range ws {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}

func digest(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return "sha256:" + hex.EncodeToString(h[:])
}

// manifestJSON is a plausible manifest.json for v, so rows are as wide as
// real ones (search pages read it).
func manifestJSON(v *catalog.Version) []byte {
	type tool struct {
		Name        string `json:"name"`
		Description string `json:"description,omitempty"`
	}
	m := map[string]any{
		"manifest_version": v.ManifestVersion,
		"name":             v.Name,
		"display_name":     v.DisplayName,
		"version":          v.Version,
		"description":      v.Description,
		"long_description": v.LongDescription,
		"author":           map[string]string{"name": v.Author},
		"license":          v.License,
		"keywords":         v.Keywords,
		"server": map[string]any{
			"type":        v.ServerType,
			"entry_point": "server/index.js",
			"mcp_config":  map[string]any{"command": v.ServerType, "args": []string{"${__dirname}/server/index.js"}},
		},
	}
	var ts []tool
	for _, t := range v.Tools {
		ts = append(ts, tool(t))
	}
	m["tools"] = ts
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// provenance is what a signed version's release workflow claims: a keyless
// signature and an SLSA attestation, as the indexer stores them.
func provenance(signed bool, org, name, version string) []byte {
	if !signed {
		return nil
	}
	repo := "https://github.com/" + org + "/" + name
	wf := repo + "/.github/workflows/release.yml@refs/tags/v" + version
	id := `"identity":"` + wf + `","issuer":"https://token.actions.githubusercontent.com","logged":true`
	return []byte(`{"signers":[{"kind":"signature","format":"sigstore-bundle",` + id + `},` +
		`{"kind":"attestation","format":"sigstore-bundle",` + id + `,"predicate_type":"https://slsa.dev/provenance/v1",` +
		`"provenance":{"source_repo":"` + repo + `","source_revision":"` + digest(org, name, version)[7:47] + `","builder_id":"` + wf + `"}}]}`)
}
