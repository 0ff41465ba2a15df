// Package stats counts bundle downloads exactly and durably, without
// slowing or failing the pulls it counts.
//
// # What is a download
//
// A download is a bundle's .mcpb layer blob sent whole to one client, the
// way npm and PyPI count completed fetches: Store.Layer attributes it to a
// repository, version and platform; blobs that are no known bundle layer
// (configs, signatures, scans, other artifacts) are not counted, nor are
// HEADs, 304s, manifests and referrers. One `oras pull` or `mpak bundle
// pull` is therefore exactly one download, and a pull that fails or is
// killed half-way is none.
//
// Middleware decides when a blob GET's response has ended, by the body
// bytes the registry handed to the connection:
//
//   - A 200 counts when its body reached its Content-Length (a 200
//     without one is not counted: its size is unknown).
//   - A 206 with one range adds the bytes it sent to what that client has
//     been sent of that blob; the 206 that completes the blob counts.
//     Ranges may come in any order, overlap or repeat: coverage counts, not
//     the sum, so `Range: bytes=0-0` in a loop counts nothing, and a pull
//     killed half-way and resumed from where it stopped counts once. What
//     a client has been sent is kept in memory for 15 minutes after its
//     last range (at most 8192 transfers at once, the least recently used
//     forgotten first), so a download in ranges spread wider, or over a
//     restart of mpakd, is not counted. A 200 cut short counts as its
//     first bytes, for a resumption. Multipart 206s are not counted.
//   - A redirect (301, 302, 303, 307, 308) to a blob store, for a request
//     without a Range or with one starting at 0, counts when it is sent:
//     the store serves the bytes out of mpakd's sight, so whether they
//     arrived cannot be known. Registries that redirect are counted as
//     before, by requests.
//
// "Handed to the connection" is what the server can know: a client that
// dies while the end of the body is still in socket buffers (up to a few
// megabytes) was counted.
//
// The client is the host of the request's RemoteAddr, an IPv6 address
// standing for its /64. X-Forwarded-For is not trusted (mpakd has no list
// of trusted proxies and a client can set the header), so behind a reverse
// proxy all clients are one client.
//
// One client adds at most Options.MaxPerClient downloads (default 5) of
// one version of a repository in any hour; the rest are served in full and
// not counted. This is what makes a loop of complete pulls from one
// address add a handful, not thousands. The allowance is kept in memory
// (65536 client, repository and version triples, the least recently used
// forgotten first) and starts afresh when mpakd restarts. A download whose
// layer could not be attributed in time (see below) is limited by its
// digest instead of its version. Record, called directly, knows no client
// and is not limited.
//
// A download is recorded when its response has ended, before Middleware
// returns to the server.
//
// # Write-ahead log
//
// Record appends one line to the write-ahead log (Options.WALPath) with a
// single write(2) on a file opened with O_APPEND and returns; no fsync. From
// the moment Record returns, the download survives the death of the process
// (kill -9, an OOM kill, a panic): the line is in the kernel's page cache,
// which outlives the process. A flusher adds the log to the Store every
// FlushInterval, aggregated into one row per repository, version, platform
// and day.
//
// A flush seals the log by renaming it to <wal>.batch-<id>-<n>, where id is
// random for each Counter (each process lifetime) and n numbers its batches
// from 1, and starts a fresh log. It fsyncs the sealed file and the
// directory, then adds the batch's counts to the Store in one AddDownloads
// call that also adds 1 to a marker row: repository "_mpak/downloads-wal"
// (no valid OCI repository name, so never a bundle), version id, platform
// "batches". Only then is the sealed file deleted. The marker of id
// therefore equals the number of id's batches in the Store, and batch n is
// in the Store exactly when the marker has reached n. A sealed batch found
// later (at Open, or after a failed AddDownloads whose outcome is unknown) is
// settled by reading the marker: deleted if it was added, added otherwise
// (renamed first to the next batch number of the Counter adding it).
//
// # Guarantee
//
// If the process dies at any point (kill -9 included), every download whose
// Record returned is added to the Store exactly once: when the next Counter
// opens the same WAL path, or by this Counter's next flush if only the Store
// failed. This holds provided the Store applies each AddDownloads call
// atomically, all rows or none, and Stats reports counts of a repository
// that has no versions; both stores do (one transaction; download rows are
// kept without versions). Counter checks the second once, after its first
// flush, and logs an error if the Store does not.
//
// If the machine loses power or the kernel crashes, the downloads recorded
// since the last flush (about FlushInterval) may be lost, because Record does
// not fsync: an fsync per pull would cost a disk flush per download. A sealed
// batch is fsynced before it is added, so no batch is lost or counted twice.
//
// One more assumption concerns a process killed while its AddDownloads was
// committing: the next Counter must see that commit when it reads the marker.
// SQLite runs in the killed process, so its commit either finished or is
// rolled back. A PostgreSQL server finishes a COMMIT it received even after
// the client died, within milliseconds, while a restarted mpakd takes longer
// to read the marker; nothing but that timing enforces it.
//
// Not guaranteed: copying a data directory with a non-empty log to a second
// mpakd makes both add the copied downloads. Two Counters on one WAL path are
// refused (the log is locked), so replicas need their own data directories;
// they may share one PostgreSQL store.
//
// Counting never fails a pull. Record resolves a layer from a bounded cache,
// else asks the Store with a short timeout; when the Store is slow or down it
// logs the digest unresolved and the flush attributes it later, so an outage
// delays counts but loses none (unless the version is deleted before that
// flush: its layer is then no longer attributable). If the log cannot be
// written (disk full), the download is not counted and an error is logged.
package stats
