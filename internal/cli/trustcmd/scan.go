package trustcmd

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/internal/cli"
	"github.com/mpak-oci/mpak/scan"
	"github.com/mpak-oci/mpak/trust"
)

func (a *app) scanCommand() *cobra.Command {
	var level int
	var vulnDB, source, key, platform, signKey string
	var attach, jsonOut bool
	cmd := &cobra.Command{
		Use:   "scan REF|FILE.mcpb",
		Short: "Check a bundle against the trust levels L1-L4, offline, with evidence for every control",
		Long: "L1: valid manifest, described tools, no secrets (gitleaks' rules), no malicious install hooks, an SBOM.\n" +
			"L2: no unreferenced executables, dependencies locked with hashes, no known vulnerabilities (--vuln-db, a\n" +
			"directory of OSV JSON files), no prompt injection in descriptions, author and https source declared.\n" +
			"L3: a valid signature and a build provenance matching the bundle and its source (checked with --key for a\n" +
			"registry reference), no exec/eval patterns in the server's code. L4: --source packs to the same sha256,\n" +
			"and the provenance's revision is the version's revision annotation. A level is reached when every control\n" +
			"of it and below passed; skip is not pass. With --level N, exits 3 unless level N is reached. With --attach,\n" +
			"the report and the SBOM are attached to the version as referrers; with --sign-key the verdict is signed, and only\n" +
			"a verdict signed by a scanner key the reader trusts counts for --min-level and the catalog. A scan of a\n" +
			"registry reference run here counts for --min-level on this machine.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			opts := trust.ScanOptions{Options: scan.Options{MaxLevel: level, VulnDB: vulnDB, Source: source}, Attach: attach}
			// A scan run here is trusted here: the policy remembers its level
			// for --min-level.
			c, err := a.ScanClient()
			if err != nil {
				return err
			}
			t := trust.New(c)
			var report *scan.Report
			if st, err := os.Stat(args[0]); err == nil && !st.IsDir() {
				if attach {
					return errors.New("--attach needs a registry reference, not a file")
				}
				if report, err = t.ScanFile(ctx, args[0], opts.Options); err != nil {
					return err
				}
			} else {
				if opts.Platform, err = cli.PlatformArg(platform); err != nil {
					return err
				}
				if key != "" {
					if opts.Key, err = loadPublicKey(key); err != nil {
						return err
					}
				}
				if attach {
					if signKey != "" {
						if opts.Signer, err = a.loadSigner(signKey); err != nil {
							return err
						}
					} else {
						a.Warn("the report is attached unsigned: readers will show its level as unverified and --min-level ignores it (sign it with --sign-key)")
					}
				}
				res, err := t.Scan(ctx, args[0], opts)
				if err != nil {
					return err
				}
				report = res.Report
				if attach {
					a.Infof("attached the scan report (L%d, risk %s) and the SBOM to %s", report.Level, report.Risk, res.Resolved.Version.Root.Digest)
				}
			}
			if err := a.Emit(jsonOut, report, func() { a.printReport(report) }); err != nil {
				return err
			}
			if level > 0 && report.Level < level {
				return fmt.Errorf("%s %s: reached L%d: %w L%d", report.Bundle.Name, report.Bundle.Version, report.Level, cli.ErrBelowLevel, level)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&level, "level", 0, "check the controls up to this level (1-4) and exit 3 unless it is reached")
	cmd.Flags().StringVar(&vulnDB, "vuln-db", "", "directory of OSV JSON files for the vulnerability control")
	cmd.Flags().StringVar(&source, "source", "", "the bundle's source tree, for the reproducibility control")
	cmd.Flags().StringVar(&key, "key", "", "cosign public key: check signatures and provenance of a registry reference (L3, L4)")
	cmd.Flags().StringVar(&platform, "platform", "", "build to scan, os/arch (default: this machine)")
	cmd.Flags().BoolVar(&attach, "attach", false, "attach the report and the SBOM to the version as referrers")
	cmd.Flags().StringVar(&signKey, "sign-key", "", "cosign private key to sign the attached verdict with: only signed levels count for --min-level")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	return cmd
}

// printReport is the human view: one line per control, evidence under it.
func (a *app) printReport(r *scan.Report) {
	for _, c := range r.Controls {
		fmt.Fprintf(a.Stdout, "%-5s %-20s %s", strings.ToUpper(string(c.Status)), c.ID, c.Title)
		if c.Message != "" {
			fmt.Fprintf(a.Stdout, ": %s", c.Message)
		}
		fmt.Fprintln(a.Stdout)
		for _, e := range c.Evidence {
			where := e.File
			if e.Line > 0 {
				where += ":" + strconv.Itoa(e.Line)
			}
			if where != "" {
				where += ": "
			}
			fmt.Fprintf(a.Stdout, "        %s%s\n", where, e.Message)
		}
		if c.Remediation != "" {
			fmt.Fprintf(a.Stdout, "        fix: %s\n", c.Remediation)
		}
	}
	fmt.Fprintf(a.Stdout, "%s %s: level L%d, risk %s (%d passed, %d failed, %d skipped)\n", r.Bundle.Name, r.Bundle.Version,
		r.Level, r.Risk, r.Counts[scan.Pass], r.Counts[scan.Fail], r.Counts[scan.Skip])
}
