/**
 * The API root of rptun: the few types a user meets first.
 *
 * <p>The layers live in sub-packages, one per OpenAMP header: {@code rsc} (the resource table),
 * {@code memory} (little-endian wire layouts, ordered shared access, the address environment and the
 * shared-memory plan), and, as they land, {@code virtio} (split vrings), {@code heap} (the carveout heap)
 * and {@code rpmsg}.
 */
@NullMarked
package io.rptun.core;

import org.jspecify.annotations.NullMarked;
