// Package mediatypes names the media types and annotation keys of the mpak OCI
// layout. They are the interop contract: oras, crane, regctl, Harbor and zot
// see bundles through these strings, so they never change once published.
package mediatypes

const (
	// ArtifactType marks a bundle version, on its image index and on every
	// platform manifest.
	ArtifactType = "application/vnd.mcpb.bundle.v1"

	// Config is the media type of a platform manifest's config blob: the
	// bundle's manifest.json, byte for byte, so indexers never fetch the zip.
	Config = "application/vnd.mcpb.manifest.v1+json"

	// Bundle is the media type of the single layer: the .mcpb file unchanged,
	// so its digest equals the MCP Registry's fileSha256.
	Bundle = "application/vnd.mcpb.bundle.v1+zip"

	// SigstoreBundle, Scan and CycloneDX are the referrer artifact types the
	// trust features attach to a version.
	SigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
	Scan           = "application/vnd.mpak.scan.v1+json"
	CycloneDX      = "application/vnd.cyclonedx+json"

	// Yank is the artifactType of a yank record attached to a version, and
	// the media type of its one layer: {"yanked", "reason", "time"} JSON.
	// Published versions are never deleted; the newest record says whether
	// latest and ranges skip the version.
	Yank = "application/vnd.mpak.yank.v1+json"

	// CosignSignature is the artifactType of a cosign signature attached
	// as an OCI 1.1 referrer; CosignSimpleSigning the layer of cosign's
	// signature images (also behind its legacy sha256-<hex>.sig tags).
	CosignSignature     = "application/vnd.dev.cosign.artifact.sig.v1+json"
	CosignSimpleSigning = "application/vnd.dev.cosign.simplesigning.v1+json"
)

// Annotation keys beyond the org.opencontainers.image.* ones from image-spec.
const (
	// AnnotationMCPName carries the official MCP Registry server name
	// (io.github.owner/name) when the publisher declares one.
	AnnotationMCPName = "io.modelcontextprotocol.server.name"

	// AnnotationPlatform marks index entries that have no OCI platform:
	// "any" for a platform-independent build, "<os>/any" for one OS.
	AnnotationPlatform = "dev.mpak.platform"

	AnnotationServerType      = "dev.mpak.server.type"
	AnnotationManifestVersion = "dev.mpak.manifest.version"
	// AnnotationTools is the comma-separated list of declared tool names.
	AnnotationTools = "dev.mpak.tools"

	// On a scan report referrer: the certification level reached (0-4),
	// the risk (low, medium, high, critical) and the scanner's name and
	// version, so indexers read a report's verdict from its manifest.
	AnnotationScanLevel   = "dev.mpak.scan.level"
	AnnotationScanRisk    = "dev.mpak.scan.risk"
	AnnotationScanScanner = "dev.mpak.scan.scanner"
	// AnnotationScanRules is the revision of the scanner's rule set, an
	// integer; AnnotationScanCounts "pass=N,fail=N,skip=N,error=N".
	AnnotationScanRules  = "dev.mpak.scan.rules"
	AnnotationScanCounts = "dev.mpak.scan.counts"

	// ScanPredicate is the in-toto predicate type of a scanner's signed
	// verdict about a version (scanlevel.Predicate), attached as a
	// sigstore bundle referrer of the version's root. Only such a
	// statement, verified with a trusted scanner key, makes a level count;
	// the scan report referrer itself is the evidence, unsigned.
	ScanPredicate = "https://mpak.dev/scan/v1"
	// ScanVerdict is the artifactType of that referrer. Its layer is a
	// sigstore bundle, but the referrer is not typed as one: cosign 2.6
	// and 3 switch to verifying only sigstore bundles as soon as a version
	// has one, so a scanner's verdict would make `cosign verify` of the
	// publisher's .sig signature fail.
	ScanVerdict = "application/vnd.mpak.scan.verdict.v1+json"

	// On a yank record: "true" or "false" (an un-yank) and the ASCII
	// reason, so clients and indexers decide from the referrers listing
	// alone, without fetching a manifest per record.
	AnnotationYanked     = "dev.mpak.yanked"
	AnnotationYankReason = "dev.mpak.yank.reason"
)
