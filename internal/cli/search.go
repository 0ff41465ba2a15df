package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/catalogapi"
	"github.com/mpak-oci/mpak/oci/claims"
)

func (a *App) searchCommand() *cobra.Command {
	var q catalogapi.Query
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "search [QUERY]",
		Short: "Search the catalog by name, description, keywords and tool names",
		Long: "Asks the mpakd catalog at $MPAK_INDEX_URL, or the default registry when it is an mpakd.\n" +
			"Results are bundles with their latest version, ranked by relevance unless --sort says otherwise.",
		Example: "  mpak bundle search weather\n  mpak bundle search --type python --os linux --sort downloads",
		Args:    cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			q.Text = strings.Join(args, " ")
			res, err := c.Search(cmd.Context(), q)
			if err != nil {
				return err
			}
			return a.Emit(jsonOut, res, func() { a.printSearch(res) })
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Type, "type", "", "server type: node, python, binary or uv")
	f.StringVar(&q.OS, "os", "", "only bundles with a build for this OS")
	f.StringVar(&q.Arch, "arch", "", "only bundles with a build for this architecture")
	f.IntVar(&q.MinLevel, "min-level", 0, "minimum certification level (1-4)")
	f.BoolVar(&q.Signed, "signed", false, "only signed bundles")
	f.StringVar(&q.Sort, "sort", "", "relevance, downloads, recent or name")
	f.IntVar(&q.Limit, "limit", 20, "results per page (at most 100)")
	f.IntVar(&q.Offset, "offset", 0, "results to skip")
	JSONFlag(cmd, &jsonOut)
	return cmd
}

func (a *App) printSearch(res *catalogapi.SearchResponse) {
	if len(res.Bundles) == 0 {
		a.Infof("no bundles match")
		return
	}
	a.printf("%-32s %-12s %-8s %9s  %-5s %s\n", "NAME", "VERSION", "TYPE", "DOWNLOADS", "TRUST", "DESCRIPTION")
	for _, b := range res.Bundles {
		trust := "-"
		switch {
		case b.Level > 0:
			trust = fmt.Sprintf("L%d", b.Level)
		case b.ClaimedLevel > 0:
			trust = "L?" // only unsigned reports claim a level
		}
		if b.Signed {
			trust += "✓"
		}
		a.printf("%-32s %-12s %-8s %9d  %-5s %s\n", b.Name, b.Version, b.ServerType, b.Downloads, trust, truncate(b.Description, 60))
	}
	if res.Pagination.HasMore {
		a.Infof("%d of %d shown; --offset %d for more", len(res.Bundles), res.Total, res.Pagination.Offset+len(res.Bundles))
	}
}

func (a *App) showCommand() *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "show REF",
		Short: "Show a bundle from the catalog: latest version, who signed it, tools, builds, versions and downloads",
		Long: "Asks the mpakd catalog, as search does. The latest skips yanked versions unless every version is yanked.\n" +
			"Yanked versions are marked with the publisher's reason; a version whose tag was moved outside mpakd\n" +
			"(tampered) gets a warning and the digest it was published with, which is how mpakd still serves it.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.PlainClient(false)
			if err != nil {
				return err
			}
			b, err := c.Show(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return a.Emit(jsonOut, b, func() { a.printShow(b) })
		},
	}
	JSONFlag(cmd, &jsonOut)
	return cmd
}

func (a *App) printShow(b *catalogapi.BundleDetail) {
	a.printf("%s %s\n  %s\n", title(b.Name, b.DisplayName), b.Version, b.Description)
	// The latest is yanked only when every version is.
	if b.Yanked {
		a.printf("  yanked: %s\n", yankReason(b.YankReason))
	}
	if b.Tampered != "" {
		a.printf("  warning: %s\n", tamperedWarning(b.Version, b.Digest, b.Tampered))
	}
	a.printf("  type: %s   license: %s   author: %s\n", b.ServerType, b.License, b.Author)
	a.printf("  downloads: %d   registry signature: %s   level: %s\n", b.Downloads, yesNo(b.Signed), levelText(b.Level, b.LevelVerified, b.ClaimedLevel))
	if b.SourceURL != "" {
		a.printf("  source: %s\n", b.SourceURL)
	}
	a.printf("  pull: mpak bundle pull %s\n", b.Reference)
	a.printClaims(b.Provenance)
	a.printf("Tools (%d):\n", len(b.Tools))
	for _, t := range b.Tools {
		a.printf("  %-24s %s\n", t.Name, t.Description)
	}
	a.printf("Builds:\n")
	for _, bl := range b.Builds {
		a.printf("  %-14s %s  %s\n", bl.Platform, bl.BundleDigest, humanSize(bl.Size))
	}
	a.printf("Versions:\n")
	for i, v := range b.Versions {
		if i == 10 {
			a.printf("  … %d more\n", len(b.Versions)-10)
			break
		}
		a.printf("  %-14s %s  %6d downloads  %s\n", v.Version, v.PublishedAt.Format("2006-01-02"), v.Downloads, strings.Join(v.Platforms, ", "))
		if v.Yanked {
			a.printf("  %-14s yanked: %s\n", "", yankReason(v.YankReason))
		}
		if v.Tampered != "" {
			a.printf("  %-14s warning: %s\n", "", tamperedWarning(v.Version, v.Digest, v.Tampered))
		}
	}
}

func yankReason(reason string) string {
	if reason == "" {
		return "(no reason given)"
	}
	return reason
}

// tamperedWarning says that a version's tag was moved outside mpakd, so
// it is pulled by the digest it was published with.
func tamperedWarning(version, published, found string) string {
	return "tag " + version + " was moved outside mpakd to " + found +
		"; mpakd serves this version by digest only: pin " + published
}

// printClaims prints who the registry says signed the version and where it
// says it was built from: claims, which `mpak bundle verify` checks.
func (a *App) printClaims(c *claims.Claims) {
	if c == nil || !c.Signed() {
		return
	}
	a.printf("Signed (as the registry reads it, unverified: check with mpak bundle verify):\n")
	for _, s := range c.Signers {
		who := "a key the " + s.Format + " format does not name"
		switch {
		case s.Keyless():
			who = s.Identity + " via " + s.Issuer
		case s.KeyID != "":
			who = "key " + s.KeyID
		}
		a.printf("  %-11s by %s (%s)\n", s.Kind, who, s.Format)
	}
	if p, _ := c.Provenance(); p != nil {
		a.printf("  %s\n", p.Describe())
	}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// levelText says where a catalog's level comes from: a verdict signed by a
// scanner the registry trusts, or only unsigned claims, which count for
// nothing.
func levelText(level int, verified bool, claimed int) string {
	out := fmt.Sprintf("L%d", level)
	if verified {
		out += " (signed by a scanner the registry trusts)"
	}
	if claimed > level {
		out += fmt.Sprintf(" (an unsigned report claims L%d: unverified)", claimed)
	}
	return out
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
