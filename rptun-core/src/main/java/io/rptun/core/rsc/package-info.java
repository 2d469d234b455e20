/**
 * The resource table: OpenAMP's {@code remoteproc.h} structures and NuttX's {@code rptun_rsc_s}.
 *
 * <h2>Shape</h2>
 * One final {@code ...Layout} class per C structure ({@link io.rptun.core.rsc.ResourceTableLayout},
 * {@link io.rptun.core.rsc.FwRscVdevLayout}, {@link io.rptun.core.rsc.RptunRscLayout}, ...) holds the
 * offsets, derived from a {@link java.lang.foreign.StructLayout} of little-endian packed fields, with a
 * byte diagram in its Javadoc; a conformance test pins every size and offset to
 * {@code docs/protocols.md}. Above the layouts sits an immutable model:
 * {@link io.rptun.core.rsc.ResourceTable} with its {@link io.rptun.core.rsc.ResourceEntry} records, read by
 * {@link io.rptun.core.rsc.ResourceTableParser}, written by {@link io.rptun.core.rsc.ResourceTableWriter},
 * and built for NuttX by {@link io.rptun.core.rsc.RptunRsc}.
 *
 * <h2>Untrusted input</h2>
 * A table may come from firmware, a file, or a peer that is still writing it. The parser bounds every
 * length by the segment before it allocates, reads every size-deciding field exactly once, and reports
 * every problem as a {@link io.rptun.core.rsc.ResourceTableException} with a reason and the offset of the
 * offending field. Nothing else escapes it.
 *
 * <h2>Memory model</h2>
 * The table is written once by its builder before the peer looks at it; after that only a few fields
 * change, each with one writer, through {@link io.rptun.core.rsc.LiveResourceTable}:
 * <ul>
 * <li>vdev {@code status}: written by the driver (DRIVER_OK last, with release, after the rings,
 *     gfeatures and written-back addresses) and read with acquire by the device before it touches a ring;
 *     the device may set NEEDS_RESET.</li>
 * <li>vdev {@code gfeatures}: written by the driver with release before it kicks; read by the device.</li>
 * <li>vring {@code da} and notify ids, carveout {@code da}/{@code pa}: written back by the master with
 *     release when they were ANY, after the memory they name has been zeroed.</li>
 * <li>NuttX's mailbox ({@code reserved[0]} by the master, {@code reserved[1]} by the slave): written with
 *     release, then all vrings are notified; the receiver reads with acquire, handles, writes DONE/ACK.</li>
 * </ul>
 */
@NullMarked
package io.rptun.core.rsc;

import org.jspecify.annotations.NullMarked;
