/**
 * The API root of rptun: the few types a user meets first.
 *
 * <p>The layers live in sub-packages, one per OpenAMP header: {@code rsc} (the resource table),
 * {@code memory} (little-endian wire layouts, ordered shared access, the address environment),
 * {@code layout} (the plan that places table, vrings and carveout heap in the shared region),
 * {@code virtio} (vring placement now; the split vrings themselves as they land), and later
 * {@code heap} (the carveout heap) and {@code rpmsg}.
 */
@NullMarked
package io.rptun.core;

import org.jspecify.annotations.NullMarked;
