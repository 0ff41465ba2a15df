package cli

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/mpak-oci/mpak/mcpb"
	"github.com/mpak-oci/mpak/mediatypes"
)

type InspectOutput struct {
	Source          string             `json:"source"`
	Name            string             `json:"name"`
	DisplayName     string             `json:"display_name,omitempty"`
	Version         string             `json:"version"`
	Description     string             `json:"description"`
	ServerType      string             `json:"server_type"`
	ManifestVersion string             `json:"manifest_version"`
	Author          string             `json:"author,omitempty"`
	License         string             `json:"license,omitempty"`
	Tools           []mcpb.Tool        `json:"tools"`
	Prompts         []string           `json:"prompts,omitempty"`
	UserConfig      []userConfigOutput `json:"user_config"`
	Compatibility   []string           `json:"compatible_os,omitempty"`
	Digest          string             `json:"digest,omitempty"`
	Builds          []buildOutput      `json:"builds,omitempty"`
	SHA256          string             `json:"sha256"`
	Size            int64              `json:"size"`
	// MCPBSigned is about the .mcpb file itself: an MCPB signature trailer
	// (mcpb sign). Signatures in the registry (cosign, sigstore bundles)
	// are what mpak bundle verify and show report.
	MCPBSigned bool        `json:"mcpb_signed"`
	Files      []mcpb.File `json:"files"`
	Warnings   []string    `json:"warnings,omitempty"`
}

type userConfigOutput struct {
	Key       string `json:"key"`
	Type      string `json:"type"`
	Title     string `json:"title"`
	Required  bool   `json:"required"`
	Sensitive bool   `json:"sensitive"`
	Multiple  bool   `json:"multiple"`
	Default   any    `json:"default,omitempty"`
}

func (a *App) inspectCommand() *cobra.Command {
	var platform string
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "inspect FILE|REF",
		Short: "Show a bundle's manifest summary, builds and files",
		Long: "For a local .mcpb, reads the zip. For a reference, lists every platform build from the registry\n" +
			"and downloads the selected build (verified) to list its files.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := PlatformArg(platform)
			if err != nil {
				return err
			}
			var o *InspectOutput
			if _, statErr := os.Stat(args[0]); statErr == nil {
				o, err = a.inspectFile(args[0])
			} else {
				o, err = a.inspectRef(cmd.Context(), args[0], p)
			}
			if err != nil {
				return err
			}
			return a.Emit(jsonOut, o, func() { a.printInspect(o) })
		},
	}
	cmd.Flags().StringVar(&platform, "platform", "", "build to list files of, os/arch (default: this machine)")
	JSONFlag(cmd, &jsonOut)
	return cmd
}

func (a *App) inspectFile(path string) (*InspectOutput, error) {
	limits, err := a.archiveLimits()
	if err != nil {
		return nil, err
	}
	arc, err := mcpb.Open(path, mcpb.OpenOptions{Limits: limits})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	defer arc.Close()
	return summarize(path, arc), nil
}

func summarize(source string, arc *mcpb.Archive) *InspectOutput {
	m := arc.Manifest
	o := &InspectOutput{
		Source: source, Name: m.Name, DisplayName: m.DisplayName, Version: m.Version, Description: m.Description,
		ServerType: m.Server.Type, ManifestVersion: m.ManifestVersion, Author: m.Author.Name, License: m.License,
		Tools: m.Tools, SHA256: arc.SHA256, Size: arc.Size, MCPBSigned: arc.Signature != nil, Files: arc.Files,
		Warnings: problems(arc.Warnings),
	}
	if o.Tools == nil {
		o.Tools = []mcpb.Tool{}
	}
	for _, p := range m.Prompts {
		o.Prompts = append(o.Prompts, p.Name)
	}
	o.UserConfig = []userConfigOutput{}
	for _, k := range m.UserConfigKeys() {
		u := m.UserConfig[k]
		o.UserConfig = append(o.UserConfig, userConfigOutput{Key: k, Type: u.Type, Title: u.Title, Required: u.Required,
			Sensitive: u.Sensitive, Multiple: u.Multiple, Default: u.Default})
	}
	if m.Compatibility != nil {
		o.Compatibility = m.Compatibility.Platforms
	}
	return o
}

// inspectRef lists the builds from the registry, then downloads the selected
// one to a temporary file to read its manifest and files.
func (a *App) inspectRef(ctx context.Context, s string, p mediatypes.Platform) (*InspectOutput, error) {
	c, err := a.PlainClient(false)
	if err != nil {
		return nil, err
	}
	if _, err := c.Parse(s); err != nil {
		if strings.HasSuffix(s, ".mcpb") {
			return nil, fmt.Errorf("%s: no such file", s)
		}
		return nil, err
	}
	in, err := c.Inspect(ctx, s, p)
	if err != nil {
		return nil, err
	}
	defer in.Close()
	a.Warn(in.Resolved.Version.Warning)
	o := summarize(in.Resolved.Name(), in.Archive)
	o.Digest = in.Resolved.Version.Root.Digest.String()
	for _, art := range in.Builds {
		o.Builds = append(o.Builds, buildOutput{Platform: art.Entry.Platform.String(), Manifest: art.Entry.Descriptor.Digest.String(),
			Bundle: art.Layer.Digest.String(), Size: art.Layer.Size})
	}
	return o, nil
}

func (a *App) printInspect(o *InspectOutput) {
	a.printf("%s %s\n", title(o.Name, o.DisplayName), o.Version)
	if o.Description != "" {
		a.printf("  %s\n", o.Description)
	}
	a.printf("  type:     %s (manifest_version %s)\n", o.ServerType, o.ManifestVersion)
	if o.Author != "" {
		a.printf("  author:   %s\n", o.Author)
	}
	if o.License != "" {
		a.printf("  license:  %s\n", o.License)
	}
	a.printf("  sha256:   %s\n  size:     %s\n", o.SHA256, humanSize(o.Size))
	if o.MCPBSigned {
		a.printf("  file signature: yes (an MCPB signature trailer in the .mcpb; registry signatures: mpak bundle verify)\n")
	} else {
		a.printf("  file signature: none in the .mcpb (registry signatures, if any: mpak bundle verify, mpak bundle show)\n")
	}
	if o.Digest != "" {
		a.printf("  digest:   %s\n", o.Digest)
	}
	if len(o.Compatibility) > 0 {
		a.printf("  os:       %s\n", strings.Join(o.Compatibility, ", "))
	}
	if len(o.Builds) > 0 {
		a.printf("Builds:\n")
		for _, b := range o.Builds {
			a.printf("  %-14s %s  %s\n", b.Platform, b.Manifest, humanSize(b.Size))
		}
	}
	a.printf("Tools (%d):\n", len(o.Tools))
	for _, t := range o.Tools {
		a.printf("  %-24s %s\n", t.Name, t.Description)
	}
	if len(o.Prompts) > 0 {
		a.printf("Prompts: %s\n", strings.Join(o.Prompts, ", "))
	}
	if len(o.UserConfig) > 0 {
		a.printf("User config:\n")
		for _, u := range o.UserConfig {
			var flags []string
			if u.Required {
				flags = append(flags, "required")
			}
			if u.Sensitive {
				flags = append(flags, "sensitive")
			}
			if u.Multiple {
				flags = append(flags, "multiple")
			}
			a.printf("  %-24s %-9s %s %s\n", u.Key, u.Type, u.Title, strings.Join(flags, ","))
		}
	}
	files := append([]mcpb.File(nil), o.Files...)
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	a.printf("Files (%d):\n", len(files))
	for _, f := range files {
		a.printf("  %s %10d  %s\n", f.Mode, f.Size, f.Path)
	}
	a.Warn(o.Warnings...)
}
